/**
 * `upnext function list|pause|resume`: see and control functions (tasks) as a whole, from Redis
 * alone. Pausing stops every worker from claiming the function's jobs; they wait, nothing is lost.
 */
import type { Command } from "commander";
import { Functions, type FunctionState } from "../sdk/functions-admin.js";
import { formatTable } from "./text-table.js";
import {
  addConnectionFlags,
  standaloneOptions,
  explainUnreachable,
  type ConnectionFlags,
} from "./admin-connection.js";

interface ListFlags extends ConnectionFlags {
  readonly json?: boolean;
}

async function withFunctions<T>(
  flags: ConnectionFlags,
  work: (functions: Functions) => Promise<T>,
): Promise<T> {
  const functions = new Functions(standaloneOptions(flags));
  try {
    return await work(functions);
  } catch (error) {
    explainUnreachable(error, flags);
  } finally {
    await functions.close().catch(() => undefined);
  }
}

function table(states: readonly FunctionState[]): string {
  const header = ["FUNCTION", "STATE", "QUEUED", "SCHEDULED", "ACTIVE", "WAITING", "DEAD", "LIMITS"];
  const rows = states.map((state) => [
    state.name,
    state.paused ? "paused" : "running",
    String(state.queued),
    String(state.scheduled),
    String(state.active),
    String(state.waiting),
    String(state.deadLettered),
    [
      state.concurrency !== null ? `concurrency ${state.concurrency}` : "",
      state.routingGroup !== null ? `group ${state.routingGroup}` : "",
      state.rateLimit !== null ? `rate ${state.rateLimit}` : "",
    ]
      .filter((part) => part.length > 0)
      .join(", ") || "-",
  ]);
  return formatTable([header, ...rows]).join("\n");
}

export function registerFunctionCommand(program: Command): void {
  const command = program
    .command("function")
    .description("list, pause and resume functions (tasks) across all workers");
  addConnectionFlags(
    command
      .command("list")
      .description("every function of the namespace with its queue counts")
      .option("--json", "print JSON"),
  ).action(async (flags: ListFlags) => {
    const states = await withFunctions(flags, (functions) => functions.list());
    // Data on stdout, notes on stderr, as in the other admin commands.
    if (flags.json) process.stdout.write(`${JSON.stringify(states, null, 2)}\n`);
    else if (states.length === 0) process.stderr.write("upnext: no functions in this namespace\n");
    else process.stdout.write(`${table(states)}\n`);
  });
  addConnectionFlags(
    command.command("pause <name>").description("stop claiming the function's jobs; they wait"),
  ).action(async (name: string, flags: ConnectionFlags) => {
    await withFunctions(flags, (functions) => functions.pause(name));
    process.stdout.write(`paused ${name}\n`);
  });
  addConnectionFlags(command.command("resume <name>").description("claim the function's jobs again")).action(
    async (name: string, flags: ConnectionFlags) => {
      await withFunctions(flags, (functions) => functions.resume(name));
      process.stdout.write(`resumed ${name}\n`);
    },
  );
}
