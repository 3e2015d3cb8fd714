/**
 * Event names and subscription patterns (docs/events.md).
 *
 * An event name is dot-separated segments; a segment is letters, digits, '_' and '-', starting
 * with a letter or digit ("order.placed", "user.signed-up", "v2.invoice.paid"). A pattern is the
 * same with two wildcards, each a whole segment: `*` matches exactly one segment and `**` matches
 * zero or more. A wildcard inside a segment (`ord*`) is rejected: it would make the derived
 * handler name ambiguous and topic hierarchies are better expressed with segments.
 */
import { InvalidOptionError, isValidName } from "@upnext/core";

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const MAX_LENGTH = 128;

const NAME_HINT =
  "use dot-separated segments of letters, digits, '_' or '-', each starting with a letter or digit (at most 128 characters), e.g. \"order.placed\"";
const PATTERN_HINT =
  "use dot-separated segments like an event name, where a whole segment may be '*' (exactly one segment) or '**' (any number of segments), e.g. \"order.*\" or \"billing.**\"; a '*' inside a segment is not supported";

function segmentsOf(value: unknown, what: string, hint: string): string[] {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_LENGTH) {
    throw new InvalidOptionError(what, value, hint);
  }
  return value.split(".");
}

/** Checks an event name as given to defineEvent() and returns it. */
export function validateEventName(value: unknown): string {
  const segments = segmentsOf(value, "event name", NAME_HINT);
  if (!segments.every((segment) => SEGMENT.test(segment))) {
    throw new InvalidOptionError("event name", value, NAME_HINT);
  }
  return value as string;
}

/** Checks a subscription pattern as given to worker.on() and returns it. */
export function validatePattern(value: unknown): string {
  const segments = segmentsOf(value, "event pattern", PATTERN_HINT);
  const valid = segments.every((segment) => segment === "*" || segment === "**" || SEGMENT.test(segment));
  if (!valid) throw new InvalidOptionError("event pattern", value, PATTERN_HINT);
  return value as string;
}

export function isWildcardPattern(pattern: string): boolean {
  return pattern.split(".").some((segment) => segment === "*" || segment === "**");
}

/**
 * Whether `event` matches `pattern`, segment by segment: `*` is any one segment, `**` any run of
 * segments (also none), anything else must be equal. Glob matching with one backtrack point, so
 * it stays linear-ish however many `**` a pattern has.
 */
export function matchesPattern(pattern: string, event: string): boolean {
  const wanted = pattern.split(".");
  const given = event.split(".");
  let p = 0;
  let e = 0;
  let starAt = -1;
  let starMatched = 0;
  while (e < given.length) {
    const segment = wanted[p];
    if (segment === "**") {
      starAt = p++;
      starMatched = e;
    } else if (segment !== undefined && (segment === "*" || segment === given[e])) {
      p++;
      e++;
    } else if (starAt >= 0) {
      // Let the last `**` swallow one more segment and try again from there.
      p = starAt + 1;
      e = ++starMatched;
    } else {
      return false;
    }
  }
  while (wanted[p] === "**") p++;
  return p === wanted.length;
}

/**
 * The handler (task) name used when worker.on() is given no `name`: `<worker>:on:<pattern>` with
 * `*` written `_` and `**` written `__` (task names cannot hold '*'). Unambiguous, because a
 * literal segment starts with a letter or digit. Give `name` anyway: it is the subscription's
 * stable identity, and renaming the worker or changing the pattern changes a derived one.
 */
export function derivedHandlerName(workerName: string, pattern: string): string {
  const mapped = pattern
    .split(".")
    .map((segment) => (segment === "**" ? "__" : segment === "*" ? "_" : segment))
    .join(".");
  const name = `${workerName}:on:${mapped}`;
  if (!isValidName(name)) {
    throw new InvalidOptionError(
      "name",
      name,
      "the handler name derived from the worker name and the pattern is too long; give the handler a `name` option",
    );
  }
  return name;
}
