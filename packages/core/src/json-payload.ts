/**
 * The JSON contract of everything UpNext stores for a job: inputs, results, checkpoints, metadata
 * and event payloads travel as JSON text. A value JSON would silently change (a function or
 * symbol dropped, NaN or Infinity turned into null, a Map or Set into `{}`, `undefined` in an
 * array into null) is refused with a SerializationError naming where it is; a value whose
 * encoding is over the size limit is refused with a PayloadTooLargeError naming both sizes.
 * Objects with a `toJSON` method are encoded through it, so a Date becomes its ISO string
 * (docs/tasks.md#inputs-and-results-are-json shows the schema that turns it back).
 */
import type { Config } from "./config.js";
import { PayloadTooLargeError, SerializationError } from "./errors.js";

export interface PayloadLimit {
  /** Most bytes of the UTF-8 encoding. */
  readonly maxBytes: number;
  /** The setting that raises the limit, for the error message. */
  readonly setting: string;
}

/** The configured limit (UPNEXT_MAX_PAYLOAD_SIZE). */
export function payloadLimit(config: Pick<Config, "maxPayloadSize">): PayloadLimit {
  return { maxBytes: config.maxPayloadSize, setting: "UPNEXT_MAX_PAYLOAD_SIZE" };
}

interface Problem {
  readonly path: string;
  readonly problem: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Why JSON cannot carry this non-object value faithfully, if it cannot. */
function primitiveProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case "function":
      return "a function (JSON drops it)";
    case "symbol":
      return "a symbol (JSON drops it)";
    case "bigint":
      return "a BigInt (JSON cannot encode it; convert it to a string)";
    case "number":
      return Number.isFinite(value) ? undefined : `${String(value)} (JSON turns it into null)`;
    default:
      return undefined;
  }
}

function objectProblem(value: object): string | undefined {
  if (value instanceof Map) return "a Map (JSON turns it into {}; convert it with Object.fromEntries(map))";
  if (value instanceof Set) return "a Set (JSON turns it into {}; convert it with [...set])";
  if (value instanceof WeakMap || value instanceof WeakSet)
    return "a WeakMap or WeakSet (JSON turns it into {})";
  if (value instanceof RegExp) return "a RegExp (JSON turns it into {}; pass its source as a string)";
  if (value instanceof Date && Number.isNaN(value.getTime()))
    return "an invalid Date (JSON turns it into null)";
  return undefined;
}

/** The first place in `value` where its JSON encoding would differ from it (depth first). */
export function findJsonProblem(value: unknown, root: string): Problem | undefined {
  const ancestors = new Set<object>();
  const visit = (current: unknown, path: string, key: string | number): Problem | undefined => {
    const primitive = primitiveProblem(current);
    if (primitive) return { path, problem: primitive };
    if (typeof current !== "object" || current === null) return undefined;
    const special = objectProblem(current);
    if (special) return { path, problem: special };
    const toJSON = (current as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") {
      // What JSON.stringify will encode instead (a Date: its ISO string).
      const replaced: unknown = toJSON.call(current, String(key));
      return replaced === current ? undefined : visit(replaced, path, key);
    }
    if (ancestors.has(current)) return { path, problem: "a circular reference" };
    ancestors.add(current);
    try {
      if (Array.isArray(current)) {
        for (let index = 0; index < current.length; index++) {
          const item: unknown = current[index];
          if (item === undefined)
            return {
              path: childPath(path, index),
              problem: "undefined (JSON turns it into null in an array; use null)",
            };
          const found = visit(item, childPath(path, index), index);
          if (found) return found;
        }
        return undefined;
      }
      for (const [name, item] of Object.entries(current)) {
        // An undefined property is left out, as an optional field is: that is not a change.
        if (item === undefined) continue;
        const found = visit(item, childPath(path, name), name);
        if (found) return found;
      }
      return undefined;
    } finally {
      ancestors.delete(current);
    }
  };
  return visit(value, root, "");
}

/** Bytes of the UTF-8 encoding (core also runs in browsers: no Buffer). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      // A surrogate pair: one code point of 4 bytes.
      bytes += 4;
      index += 1;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Encodes a value that UpNext stores: `undefined` becomes null, a Date its ISO string; anything
 * else JSON would change is refused. `what` names the value in errors ("The input of task 'x'"),
 * `root` starts the path ("input", "result", "metadata").
 */
export function encodePayload(value: unknown, what: string, root: string, limit: PayloadLimit): string {
  const problem = findJsonProblem(value, root);
  if (problem) throw new SerializationError(what, `${problem.path} is ${problem.problem}`, problem.path);
  let encoded: string;
  try {
    encoded = JSON.stringify(value === undefined ? null : value);
  } catch (error) {
    throw new SerializationError(what, error instanceof Error ? error.message : String(error), root);
  }
  // UTF-8 is at most 3 bytes per UTF-16 unit: only a string that could be over is measured.
  if (encoded.length * 3 > limit.maxBytes) {
    const bytes = utf8Length(encoded);
    if (bytes > limit.maxBytes) throw new PayloadTooLargeError(what, bytes, limit.maxBytes, limit.setting);
  }
  return encoded;
}
