/**
 * Loads the Lua scripts: resolves `--@include <name>` lines from lua/includes and prepends the
 * status machine's transition table from @upnext/core, so every compare-and-set in Lua uses the
 * same rules as TypeScript. Scripts are registered with ioredis' defineCommand, which calls
 * EVALSHA and falls back to EVAL on NOSCRIPT (after a Redis restart or SCRIPT FLUSH).
 */
import { readFileSync } from "node:fs";
import { transitionTableLua } from "@upnext/core";
import type { ChainableCommander, Redis } from "ioredis";

const LUA_DIR = new URL("./lua/", import.meta.url);

export const SCRIPT_NAMES = [
  "enqueue",
  "claim",
  "finish",
  "cancel",
  "release",
  "promote",
  "recover",
  "sweep",
  "job-update",
  "watch",
  "append-events",
  "add-dependent",
  "rate-reserve",
  "resolve-dependent",
  "dead-letter-page",
  "dead-letter-replay",
  "dead-letter-purge",
  "cron-fire",
  "schedule-upsert",
  "schedule-pause",
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

function readLua(relative: string): string {
  return readFileSync(new URL(relative, LUA_DIR), "utf8");
}

/** Inlines includes (each at most once) and prepends the transition table. */
export function buildScript(name: string): string {
  const included = new Set<string>();
  const expand = (source: string): string =>
    source.replace(/^--@include ([a-z-]+)\s*$/gm, (_line, include: string) => {
      if (included.has(include)) return "";
      included.add(include);
      return expand(readLua(`includes/${include}.lua`));
    });
  return `${transitionTableLua()}\n${expand(readLua(`${name}.lua`))}`;
}

function commandName(name: ScriptName): string {
  return `upnext_${name.replace(/-/g, "_")}`;
}

type ScriptCall = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;
type PipelineScriptCall = (numKeys: number, ...args: (string | number)[]) => ChainableCommander;

const defined = new WeakSet<Redis>();

export function defineScripts(redis: Redis): void {
  if (defined.has(redis)) return;
  for (const name of SCRIPT_NAMES) {
    redis.defineCommand(commandName(name), { lua: buildScript(name) });
  }
  defined.add(redis);
}

/** Runs a script; the number of keys is given per call because some scripts take optional keys. */
export function runScript(
  redis: Redis,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  const call = (redis as unknown as Record<string, ScriptCall>)[commandName(name)];
  if (!call) throw new Error(`Script ${name} is not defined on this connection; call defineScripts first.`);
  return call.call(redis, keys.length, ...keys, ...args);
}

/** Queues a script call on a pipeline (the connection must have had defineScripts). */
export function pipeScript(
  pipeline: ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): ChainableCommander {
  const call = (pipeline as unknown as Record<string, PipelineScriptCall>)[commandName(name)];
  if (!call) throw new Error(`Script ${name} is not defined on this pipeline's connection.`);
  return call.call(pipeline, keys.length, ...keys, ...args);
}
