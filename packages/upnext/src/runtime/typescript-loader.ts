/**
 * How a TypeScript file of the user's (an `upnext run worker.ts` entry, an `isolate: "thread"`
 * handler module) gets loaded when UpNext itself runs as compiled JavaScript: with tsx when the
 * user's project has it (an optional peer dependency: full TypeScript, `.js` specifiers that name
 * `.ts` files, enums), else with Node's own type stripping where the Node version has it turned on
 * (22.18+ and 23.6+), else a clear error saying what to install. JavaScript files need nothing.
 * See docs/cli.md, "TypeScript entry files".
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const TYPESCRIPT_FILE = /\.[cm]?ts$/;

/** Running from source (this repository, under tsx or vitest) means a loader is registered already. */
const SELF_IS_TYPESCRIPT = TYPESCRIPT_FILE.test(new URL(import.meta.url).pathname);

export type TypeScriptLoader = "already-registered" | "tsx" | "node-type-stripping";

let loader: Promise<TypeScriptLoader> | undefined;

export function isTypeScriptFile(path: string): boolean {
  return TYPESCRIPT_FILE.test(path.startsWith("file:") ? new URL(path).pathname : path);
}

/** Node's type stripping is on when `process.features.typescript` is set (not in Node 20's types). */
function nodeStripsTypes(): boolean {
  const features = process.features as { typescript?: unknown };
  return typeof features.typescript === "string";
}

interface RegisterModule {
  register?: () => unknown;
  default?: { register?: () => unknown };
}

/** tsx's register API as seen from `file` (the user's project), then from this package's place. */
async function findTsx(file: string): Promise<(() => unknown) | undefined> {
  const bases = [file, import.meta.url];
  for (const base of bases) {
    let resolved: string;
    try {
      resolved = createRequire(base).resolve("tsx/esm/api");
    } catch {
      continue;
    }
    const api = (await import(pathToFileURL(resolved).href)) as RegisterModule;
    const register = api.register ?? api.default?.register;
    if (typeof register === "function") return register;
  }
  return undefined;
}

export class TypeScriptLoaderMissingError extends Error {
  readonly code = "ERR_UPNEXT_TYPESCRIPT_LOADER";
  constructor() {
    super(
      `TypeScript needs a loader on Node ${process.versions.node}: ` +
        "install tsx next to your code (`npm install --save-dev tsx`), or run on Node 22.18 or later " +
        "(which strips types itself), or compile it and give the .js file",
    );
    this.name = "TypeScriptLoaderMissingError";
  }
}

async function register(file: string): Promise<TypeScriptLoader> {
  if (SELF_IS_TYPESCRIPT) return "already-registered";
  const registerTsx = await findTsx(file);
  if (registerTsx !== undefined) {
    registerTsx();
    return "tsx";
  }
  if (nodeStripsTypes()) return "node-type-stripping";
  throw new TypeScriptLoaderMissingError();
}

/**
 * Makes `file` importable when it is TypeScript (the loader is registered once per thread; a
 * failed attempt is tried again on the next call). Throws TypeScriptLoaderMissingError when there
 * is no way to load it.
 */
export async function ensureTypeScriptLoader(file: string): Promise<TypeScriptLoader | undefined> {
  if (!isTypeScriptFile(file)) return undefined;
  loader ??= register(file);
  try {
    return await loader;
  } catch (error) {
    loader = undefined;
    throw error;
  }
}
