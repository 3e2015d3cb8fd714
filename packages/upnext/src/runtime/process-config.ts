/**
 * The process's configuration: its environment's UPNEXT_* variables, parsed once by the one
 * schema in @upnext/core and cached. Core parses and reads no environment (it runs in the
 * browser too); this is where the process's own environment is read.
 */
import { loadConfig, type Config, type ConfigWarning } from "@upnext/core";

/** A bad or unknown UPNEXT_* variable, reported as a process warning (on stderr unless the application handles warnings). */
function emitConfigWarning(warning: ConfigWarning): void {
  process.emitWarning(warning.message, { code: "UPNEXT_CONFIG" });
}

/** The configuration of `env` (default: this process's environment), warnings as process warnings. */
export function loadEnvironmentConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Config {
  return loadConfig(env, emitConfigWarning);
}

let cached: Config | undefined;

/** The process-wide configuration, parsed from the environment on first use. */
export function getConfig(): Config {
  cached ??= loadEnvironmentConfig();
  return cached;
}
