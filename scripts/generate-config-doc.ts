/**
 * Writes docs/configuration.md from the config schema in @upnext/core, so the reference cannot
 * drift from the code. `--check` writes nothing and exits 1 when the committed file is stale (CI).
 *
 *   npm run docs:config          regenerate
 *   npm run docs:config:check    verify
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describeConfig } from "../packages/core/src/index.js";

const TARGET = fileURLToPath(new URL("../docs/configuration.md", import.meta.url));
const TARGET_DISPLAY = "docs/configuration.md";

/** Table cells are one line each and `|` ends a cell, so both must be neutralised. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
}

function renderConfigDoc(): string {
  const rows = describeConfig();
  const fatal = rows.filter((row) => row.fatal).map((row) => `\`${row.env}\``);
  const lines = [
    "# Configuration",
    "",
    "<!-- Generated from packages/core/src/config.ts by `npm run docs:config`. Do not edit by hand. -->",
    "",
    "UpNext is configured through `UPNEXT_*` environment variables. They are read once, when a process first needs its configuration (in practice at start), so changing a variable later has no effect on a running process. Surrounding blanks are ignored and an empty value counts as unset.",
    "",
    "When a value is invalid:",
    "",
    "- most settings fall back to their default, and a warning names the variable, the value given and the default used;",
    `- ${fatal.join(" and ")} stop the process with an error instead, because guessing where to connect or which keys to use would be worse than not starting;`,
    "- an `UPNEXT_*` variable that is not listed below is reported with a warning (it is usually a typo) and otherwise ignored.",
    "",
    "Durations are milliseconds as a plain number, or strings such as `250ms`, `30s`, `5m`, `1h30m` or `2d`.",
    "",
    "| Variable | Default | Description | On invalid value |",
    "| --- | --- | --- | --- |",
    ...rows.map(
      (row) =>
        `| \`${row.env}\` | \`${cell(row.default)}\` | ${cell(row.description)} | ${
          row.fatal ? "stops the process" : "warning, default used"
        } |`,
    ),
    "",
  ];
  return lines.join("\n");
}

function readCurrent(): string | undefined {
  try {
    return readFileSync(TARGET, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function main(args: readonly string[]): number {
  const unknown = args.filter((arg) => arg !== "--check");
  if (unknown.length > 0) {
    console.error(`Unknown argument(s): ${unknown.join(" ")}. Usage: generate-config-doc.ts [--check]`);
    return 2;
  }
  const expected = renderConfigDoc();
  const current = readCurrent();
  if (args.includes("--check")) {
    if (current === expected) {
      console.log(`${TARGET_DISPLAY} is up to date.`);
      return 0;
    }
    console.error(
      current === undefined
        ? `${TARGET_DISPLAY} is missing.`
        : `${TARGET_DISPLAY} is out of date with the config schema (packages/core/src/config.ts).`,
    );
    console.error("Run `npm run docs:config` and commit the result.");
    return 1;
  }
  if (current === expected) {
    console.log(`${TARGET_DISPLAY} is already up to date.`);
  } else {
    writeFileSync(TARGET, expected);
    console.log(`Wrote ${TARGET_DISPLAY} (${describeConfig().length} settings).`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
