/**
 * A process of the ingest benchmark (ingest.ts), in one of two roles given in argv[2]:
 * - "worker": an UpNext Worker whose task reports progress twice and returns;
 * - "ingester": the history server's ingester on its own connections and database handle.
 * It says "ready" over IPC, works until told "stop", then reports and exits.
 */
import {
  createDependencies,
  openDatabase,
  openServerRedis,
  startIngester,
  type HistoryDatabase,
} from "@upnext/server";
import { Worker, loadEnvironmentConfig } from "upnext";
import { BENCH_TASK, type IngestChildMessage, type IngestChildSpec } from "./ingest-shared.js";

function send(message: IngestChildMessage): void {
  process.send?.(message);
}

async function runWorker(spec: IngestChildSpec): Promise<() => Promise<Record<string, unknown>>> {
  const worker = new Worker({
    name: "bench-ingest",
    namespace: spec.namespace,
    redis: spec.redisUrl,
    concurrency: spec.concurrency,
    handleSignals: false,
  });
  worker.task(BENCH_TASK, { progress: { minDelta: 0, minInterval: "0ms" } }, (input: { n: number }, ctx) => {
    ctx.progress(0.5, "half way");
    ctx.progress(1);
    return input.n;
  });
  await worker.start();
  return async () => {
    const jobs = worker.metrics().jobs;
    await worker.stop();
    return { jobs };
  };
}

async function runIngester(spec: IngestChildSpec): Promise<() => Promise<Record<string, unknown>>> {
  const config = loadEnvironmentConfig({
    ...process.env,
    UPNEXT_NAMESPACE: spec.namespace,
    UPNEXT_LOG_LEVEL: "warn",
  });
  let database: HistoryDatabase | undefined;
  const redis = openServerRedis(spec.redisUrl);
  database = await openDatabase(
    spec.databaseUrl ?? "",
    spec.schema === undefined ? {} : { schema: spec.schema },
  );
  const deps = createDependencies({ config, redis, database });
  const ingester = startIngester(deps);
  return async () => {
    await ingester.stop();
    const counters = ingester.counters();
    deps.stop();
    redis.disconnect();
    await database?.close();
    database = undefined;
    return { ...counters };
  };
}

const spec = JSON.parse(process.argv[2] ?? "{}") as IngestChildSpec;
const stop = spec.role === "worker" ? await runWorker(spec) : await runIngester(spec);
process.on("message", (message: unknown) => {
  if ((message as { type?: unknown } | null)?.type !== "stop") return;
  void stop().then((counters) => {
    send({ type: "stopped", counters });
    process.disconnect();
  });
});
send({ type: "ready" });
