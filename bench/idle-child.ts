/**
 * The idle workload's processes (forked by idle.ts with an IdleChildSpec in argv[2]):
 * - `fleet`: `workers` started workers, each serving the same `functions` no-op tasks, doing
 *   nothing; answers "cpu" with its CPU time so far;
 * - `victim`: one worker serving the `victim` task, whose handler reports the job it got and
 *   never returns; the parent kills this process with SIGKILL while it holds the job.
 */
import { Worker } from "upnext";
import { VICTIM_TASK, type IdleChildSpec, type IdleMessage } from "./idle-shared.js";

function send(message: IdleMessage): void {
  process.send?.(message);
}

function fail(error: unknown): void {
  send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  setTimeout(() => process.exit(1), 100);
}
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);

const specArg = process.argv[2];
if (specArg === undefined) throw new Error("usage: idle-child.ts <IdleChildSpec JSON> (started by idle.ts)");
const spec = JSON.parse(specArg) as IdleChildSpec;

function newWorker(name: string): Worker {
  return new Worker({
    name,
    namespace: spec.namespace,
    redis: spec.redisUrl,
    handleSignals: false,
    leaseDuration: spec.leaseMs,
  });
}

const workers: Worker[] = [];
if (spec.role === "fleet") {
  for (let w = 0; w < spec.workers; w++) {
    const worker = newWorker(`idle-${w}`);
    for (let f = 0; f < spec.functions; f++) worker.task(`fn-${f}`, {}, () => null);
    workers.push(worker);
  }
} else {
  const worker = newWorker("victim");
  worker.task(VICTIM_TASK, {}, (_input: unknown, ctx) => {
    send({ type: "started", jobId: ctx.jobId });
    return new Promise<null>(() => undefined);
  });
  workers.push(worker);
}

process.on("message", (message: { type?: string }) => {
  if (message.type === "cpu") {
    const cpu = process.cpuUsage();
    send({ type: "cpu", cpuS: (cpu.user + cpu.system) / 1e6 });
  } else if (message.type === "stop") {
    Promise.all(workers.map((worker) => worker.stop()))
      .then(() => {
        send({ type: "stopped" });
        process.exit(0);
      })
      .catch(fail);
  }
});
process.on("disconnect", () => process.exit(1));

for (const worker of workers) await worker.start();
send({ type: "ready" });
