/**
 * `upnext list <entry>` and `upnext inspect <entry>`: what an entry file defines, read from the
 * file alone (nothing connects to Redis). `list` is a table for people; `inspect` is the JSON
 * manifest (see entry-manifest.ts and docs/cli.md) for deploy tooling.
 */
import type { Command } from "commander";
import { buildManifest, listRows } from "./entry-manifest.js";
import { loadEntry } from "./load-entry.js";
import { formatTable } from "./text-table.js";

export interface ListIo {
  readonly stdout: (line: string) => void;
}

const defaultIo: ListIo = {
  stdout: (line) => {
    process.stdout.write(`${line}\n`);
  },
};

export async function listEntry(entry: string, io: ListIo = defaultIo): Promise<void> {
  const rows = listRows(buildManifest(await loadEntry(entry)));
  for (const line of formatTable([["KIND", "NAME", "WORKER", "DETAIL"], ...rows])) io.stdout(line);
}

export async function inspectEntry(entry: string, io: ListIo = defaultIo): Promise<void> {
  io.stdout(JSON.stringify(buildManifest(await loadEntry(entry)), null, 2));
}

export function registerListCommands(program: Command): void {
  program
    .command("list")
    .description("List the workers, tasks, cron schedules and event handlers an entry file defines")
    .argument("<entry>", "file exporting Worker objects")
    .action(async (entry: string) => {
      await listEntry(entry);
    });
  program
    .command("inspect")
    .description("Print the manifest of an entry file (everything it defines, with options) as JSON")
    .argument("<entry>", "file exporting Worker objects")
    // JSON is the only output; the flag is accepted so scripts can say what they expect.
    .option("--json", "print JSON (the default and only format)")
    .action(async (entry: string) => {
      await inspectEntry(entry);
    });
}
