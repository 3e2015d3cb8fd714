/**
 * Worker metrics against the real Redis: /metrics is scraped over HTTP while jobs run, parsed as
 * Prometheus text, and every metric is checked to move the way it should (and to agree with
 * worker.metrics()). The status buffer is made to overflow by turning the status stream's key
 * into a string (every XADD then fails), and claims-cache evictions are provoked with a short
 * max age, whose jobs then come back through lease-expiry recovery.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Functions, type HealthEndpoint, type JobRef, type Worker } from "../src/index.js";
import { parsePrometheus, scrape, valueOf, type PromScrape } from "./helpers/prometheus.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { deferred, testConfig, testWorker } from "./helpers/worker.js";

const redis = redisClient();
const namespaces: string[] = [];
const workers: Worker[] = [];

function namespaceFor(name: string): string {
  const namespace = testNamespace(`metrics-${name}`);
  namespaces.push(namespace);
  return namespace;
}

afterAll(async () => {
  for (const worker of workers) await worker.stop();
  for (const namespace of namespaces) await deleteNamespace(redis, namespace);
  redis.disconnect();
});

/** Resolves when `signal` aborts, rejecting with its reason. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => {
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    });
  });
}

describe("jobs, slots, queue depth", () => {
  const namespace = namespaceFor("jobs");
  const worker = testWorker(namespace, {
    name: "metrics",
    concurrency: 2,
    prefetch: 2,
    queueDepthInterval: "50ms",
  });
  workers.push(worker);
  const gates = new Map<string, () => void>();

  const ok = worker.task("m-ok", {}, (input: number) => input);
  let flakyRuns = 0;
  const flaky = worker.task("m-flaky", { retries: 1, backoff: { type: "fixed", delay: "10ms" } }, () => {
    flakyRuns++;
    if (flakyRuns === 1) throw new Error("first attempt fails");
    return "ok";
  });
  const broken = worker.task("m-broken", {}, () => {
    throw new Error("broken");
  });
  const slow = worker.task("m-timeout", { timeout: "50ms" }, (_input: null, ctx) => aborted(ctx.signal));
  const gate = worker.task("m-gate", {}, async (key: string, ctx) => {
    const open = deferred();
    gates.set(key, open.resolve);
    await Promise.race([open.promise, aborted(ctx.signal)]);
    return key;
  });
  const paused = worker.task("m-paused", {}, () => null);

  let endpoint: HealthEndpoint;
  const metricsOf = (): Promise<PromScrape> => scrape(`${endpoint.url}/metrics`);

  beforeAll(async () => {
    endpoint = await worker.serveHealth({ port: 0, host: "127.0.0.1" });
    await worker.start();
  });

  it("serves upnext_* metrics with their types before any job ran", async () => {
    const first = await metricsOf();
    expect(first.types.get("upnext_jobs_started_total")).toBe("counter");
    expect(first.types.get("upnext_job_duration_seconds")).toBe("histogram");
    expect(first.types.get("upnext_job_queue_wait_seconds")).toBe("histogram");
    expect(first.types.get("upnext_jobs_active")).toBe("gauge");
    expect(valueOf(first, "upnext_jobs_started_total", { function: "m-ok" })).toBe(0);
    expect(valueOf(first, "upnext_jobs_failed_total", { function: "m-ok", reason: "exception" })).toBe(0);
    expect(valueOf(first, "upnext_worker_concurrency_slots")).toBe(2);
    expect(
      valueOf(first, "upnext_worker_info", { worker_id: worker.workerId ?? "", worker_name: "metrics" }),
    ).toBe(1);
    expect(valueOf(first, "upnext_status_buffer_capacity_events")).toBeGreaterThan(0);
    // The default process metrics come from the same (per-worker) registry.
    expect(first.types.get("process_cpu_user_seconds_total")).toBe("counter");
  });

  it("counts started, completed, retried, failed, timed-out and dead-lettered jobs, with histograms", async () => {
    const refs = await ok.submitMany([1, 2, 3]);
    for (const ref of refs) await ref.result({ timeout: "5s" });
    expect(await (await flaky.submit(null)).result({ timeout: "5s" })).toBe("ok");
    await expect((await broken.submit(null)).result({ timeout: "5s" })).rejects.toThrow("broken");
    await expect((await slow.submit(null)).result({ timeout: "5s" })).rejects.toThrow(/timeout/i);

    const after = await metricsOf();
    const counter = (name: string, fn: string, labels: Record<string, string> = {}) =>
      valueOf(after, name, { function: fn, ...labels });
    expect(counter("upnext_jobs_started_total", "m-ok")).toBe(3);
    expect(counter("upnext_jobs_completed_total", "m-ok")).toBe(3);
    expect(counter("upnext_jobs_started_total", "m-flaky")).toBe(2);
    expect(counter("upnext_jobs_retried_total", "m-flaky")).toBe(1);
    expect(counter("upnext_jobs_completed_total", "m-flaky")).toBe(1);
    expect(counter("upnext_jobs_failed_total", "m-broken", { reason: "exception" })).toBe(1);
    expect(counter("upnext_jobs_dead_lettered_total", "m-broken")).toBe(1);
    expect(counter("upnext_jobs_failed_total", "m-timeout", { reason: "timeout" })).toBe(1);
    expect(counter("upnext_jobs_timed_out_total", "m-timeout")).toBe(1);
    expect(counter("upnext_jobs_dead_lettered_total", "m-timeout")).toBe(1);
    expect(counter("upnext_jobs_failed_total", "m-ok")).toBe(0);

    const histogram = (name: string, labels: Record<string, string>) => ({
      count: valueOf(after, `${name}_count`, labels),
      sum: valueOf(after, `${name}_sum`, labels),
      inf: valueOf(after, `${name}_bucket`, { ...labels, le: "+Inf" }),
    });
    const okDuration = histogram("upnext_job_duration_seconds", { function: "m-ok", outcome: "complete" });
    expect(okDuration.count).toBe(3);
    expect(okDuration.inf).toBe(3);
    expect(okDuration.sum).toBeGreaterThanOrEqual(0);
    expect(histogram("upnext_job_duration_seconds", { function: "m-flaky", outcome: "retry" }).count).toBe(1);
    expect(histogram("upnext_job_duration_seconds", { function: "m-broken", outcome: "failed" }).count).toBe(
      1,
    );
    const wait = histogram("upnext_job_queue_wait_seconds", { function: "m-ok" });
    expect(wait.count).toBe(3);
    expect(wait.inf).toBe(3);
    // Buckets are cumulative.
    const buckets = after.samples.filter(
      (sample) => sample.name === "upnext_job_queue_wait_seconds_bucket" && sample.labels.function === "m-ok",
    );
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i]?.value).toBeGreaterThanOrEqual(buckets[i - 1]?.value ?? 0);

    // worker.metrics() has the same figures.
    const figures = worker.metrics().functions;
    expect(figures["m-ok"]?.completed).toBe(3);
    expect(figures["m-flaky"]?.retried).toBe(1);
    expect(figures["m-broken"]?.failedByReason).toEqual({ exception: 1 });
    expect(figures["m-timeout"]?.deadLettered).toBe(1);
    expect(worker.metrics().jobs.completed).toBe(4);
    expect(valueOf(after, "upnext_status_events_written_total")).toBeGreaterThan(0);
  });

  it("shows running, prefetched and held jobs, cancellations, and the queue depth by state", async () => {
    const running = [await gate.submit("a"), await gate.submit("b")];
    await eventually(() => gates.has("a") && gates.has("b"), "both gates running");
    const queued = await ok.submitMany([10, 11]);

    const busy = await eventually(async () => {
      const current = await metricsOf();
      return valueOf(current, "upnext_jobs_prefetched") === 2 &&
        valueOf(current, "upnext_queue_depth_jobs", { function: "m-gate", state: "leased" }) === 2
        ? current
        : undefined;
    }, "two prefetched jobs and two leased gates");
    expect(valueOf(busy, "upnext_jobs_active", { function: "m-gate" })).toBe(2);
    expect(valueOf(busy, "upnext_jobs_active")).toBe(2);
    expect(valueOf(busy, "upnext_worker_concurrency_slots")).toBe(2);
    expect(valueOf(busy, "upnext_claims_cache_entries")).toBe(4);
    expect(worker.metrics().prefetched).toBe(2);

    const [first, second] = running as [JobRef<string>, JobRef<string>];
    expect(await first.cancel()).toBe(true);
    await eventually(
      async () => valueOf(await metricsOf(), "upnext_jobs_cancelled_total", { function: "m-gate" }) === 1,
      "the cancel counted",
    );
    gates.get("b")?.();
    expect(await second.result({ timeout: "5s" })).toBe("b");
    for (const ref of queued) await ref.result({ timeout: "5s" });

    // scheduled, waiting (a DAG child of a scheduled job), ready (paused), dead_lettered.
    const later = await ok.submit(1, { delay: "1h" });
    await ok.submit(2, { dependsOn: [later] });
    await new Functions(worker.connection).pause("m-paused");
    await paused.submitMany([null, null, null]);
    const depth = await eventually(async () => {
      const current = await metricsOf();
      const at = (fn: string, state: string) =>
        valueOf(current, "upnext_queue_depth_jobs", { function: fn, state });
      return at("m-ok", "scheduled") === 1 && at("m-ok", "waiting") === 1 && at("m-paused", "ready") === 3
        ? current
        : undefined;
    }, "the queue depth sample to show the scheduled, waiting and paused jobs");
    const at = (fn: string, state: string) =>
      valueOf(depth, "upnext_queue_depth_jobs", { function: fn, state });
    expect(at("m-broken", "dead_lettered")).toBe(1);
    expect(at("m-timeout", "dead_lettered")).toBe(1);
    expect(at("m-gate", "leased")).toBe(0);
    expect(at("m-ok", "ready")).toBe(0);
    expect(valueOf(depth, "upnext_queue_depth_sample_timestamp_seconds")).toBeGreaterThan(0);
    expect(worker.metrics().queueDepth?.functions["m-paused"]?.ready).toBe(3);
    expect(valueOf(depth, "upnext_jobs_active")).toBe(0);
  });
});

describe("the status buffer", () => {
  const namespace = namespaceFor("status");
  const worker = testWorker(namespace, {
    name: "status",
    concurrency: 4,
    statusBuffer: { capacity: 10, overflow: "drop-newest" },
  });
  workers.push(worker);
  const noop = worker.task("s-noop", {}, () => null);
  const chatty = worker.task("s-chatty", {}, (_input: null, ctx) => {
    for (let line = 0; line < 30; line++) ctx.log("info", `line ${line}`);
    return null;
  });

  beforeAll(async () => {
    await worker.start();
  });

  it("reports its size, fullness and drops by strategy while the stream cannot be written, and recovers", async () => {
    const registry = worker.prometheusRegistry;
    const read = async () => parsePrometheus(await registry.metrics());
    await worker.connection.publisher.flush();
    const before = await read();
    expect(valueOf(before, "upnext_status_events_dropped_total", { strategy: "drop-newest" })).toBe(0);
    const written = valueOf(before, "upnext_status_events_written_total");

    // A string where the stream should be: every XADD fails with WRONGTYPE.
    await redis.del(`${namespace}:events`);
    await redis.set(`${namespace}:events`, "not a stream");
    const refs = await noop.submitMany(Array.from({ length: 20 }, () => null));
    for (const ref of refs) await ref.result({ timeout: "5s" });
    const full = await eventually(async () => {
      const current = await read();
      return valueOf(current, "upnext_status_events_dropped_total", { strategy: "drop-newest" }) > 0
        ? current
        : undefined;
    }, "dropped events");
    expect(valueOf(full, "upnext_status_buffer_events")).toBe(10);
    expect(valueOf(full, "upnext_status_buffer_capacity_events")).toBe(10);
    expect(valueOf(full, "upnext_status_buffer_fullness_ratio")).toBe(1);
    expect(valueOf(full, "upnext_redis_errors_total", { operation: "status_events" })).toBeGreaterThan(0);
    expect(worker.metrics().statusBuffer.dropped).toBe(
      valueOf(full, "upnext_status_events_dropped_total", { strategy: "drop-newest" }),
    );

    await redis.del(`${namespace}:events`);
    const drained = await eventually(async () => {
      const current = await read();
      return valueOf(current, "upnext_status_buffer_events") === 0 ? current : undefined;
    }, "the buffer to drain");
    expect(valueOf(drained, "upnext_status_buffer_fullness_ratio")).toBe(0);
    expect(valueOf(drained, "upnext_status_events_written_total")).toBeGreaterThan(written);
  });

  it("counts log events dropped at the bound, in worker.metrics() and /metrics", async () => {
    const read = async () => parsePrometheus(await worker.prometheusRegistry.metrics());
    await redis.del(`${namespace}:events`);
    await redis.set(`${namespace}:events`, "not a stream");
    await (await chatty.submit(null)).result({ timeout: "5s" });
    const full = await eventually(async () => {
      const current = await read();
      return valueOf(current, "upnext_status_events_dropped_non_lifecycle_total") >= 20 ? current : undefined;
    }, "dropped log events");
    const metrics = worker.metrics().statusBuffer;
    expect(metrics.droppedNonLifecycle).toBe(
      valueOf(full, "upnext_status_events_dropped_non_lifecycle_total"),
    );
    expect(metrics.buffered).toBe(10);
    expect(valueOf(full, "upnext_status_buffer_bytes")).toBeGreaterThan(0);
    expect(valueOf(full, "upnext_status_buffer_capacity_bytes")).toBe(metrics.maxBytes);
    await redis.del(`${namespace}:events`);
    await eventually(
      async () => valueOf(await read(), "upnext_status_buffer_events") === 0,
      "the buffer to drain",
    );
  });
});

describe("the claims cache and lease expiries", () => {
  const namespace = namespaceFor("leases");
  // Prefetched entries older than 1s are evicted at every removal: a job that waits that long
  // behind a busy slot loses its claim, its lease lapses, and recovery puts it back in line.
  const config = testConfig({ UPNEXT_CLAIMS_CACHE_MAX_AGE: "1s", UPNEXT_CLAIMS_CACHE_SWEEP_EVERY: "1" });
  const worker = testWorker(
    namespace,
    { name: "leases", concurrency: 1, prefetch: 3, leaseDuration: "1s", queueDepthInterval: "50ms" },
    config,
  );
  workers.push(worker);
  const releases = new Map<string, () => void>();
  const hold = worker.task("l-hold", {}, async (key: string) => {
    const open = deferred();
    releases.set(key, open.resolve);
    await open.promise;
    return key;
  });
  const quick = worker.task("l-quick", {}, (input: number) => input);

  beforeAll(async () => {
    await worker.start();
  });

  it("counts evictions and the lease expiries that bring the evicted jobs back", async () => {
    const registry = worker.prometheusRegistry;
    const read = async () => parsePrometheus(await registry.metrics());

    const first = await hold.submit("first");
    await eventually(() => releases.has("first"), "the first holding job to run");
    const second = await hold.submit("second");
    const refs = await quick.submitMany([1, 2]);
    await eventually(() => worker.metrics().prefetched === 3, "three prefetched jobs");
    const before = await read();
    expect(valueOf(before, "upnext_claims_cache_entries")).toBe(4);
    expect(valueOf(before, "upnext_claims_cache_evictions_total")).toBe(0);

    await sleep(1_200); // the prefetched jobs are now older than the cache's max age
    // The first job ends: the second starts in its slot, and removing the first sweeps the cache.
    releases.get("first")?.();
    expect(await first.result({ timeout: "5s" })).toBe("first");
    await eventually(() => releases.has("second"), "the second holding job to run");
    const evicted = await eventually(async () => {
      const current = await read();
      return valueOf(current, "upnext_claims_cache_evictions_total") === 2 ? current : undefined;
    }, "the two waiting jobs to be evicted");
    expect(valueOf(evicted, "upnext_claims_cache_entries")).toBe(1);
    expect(valueOf(evicted, "upnext_jobs_prefetched")).toBe(0);

    releases.get("second")?.();
    expect(await second.result({ timeout: "5s" })).toBe("second");
    // Their leases lapse; recovery re-queues them and they run.
    expect(await Promise.all(refs.map((ref) => ref.result({ timeout: "10s" })))).toEqual([1, 2]);
    const after = await read();
    expect(valueOf(after, "upnext_lease_expiries_total", { function: "l-quick", outcome: "requeued" })).toBe(
      2,
    );
    expect(valueOf(after, "upnext_lease_expiries_total", { function: "l-quick", outcome: "lost" })).toBe(0);
    expect(valueOf(after, "upnext_jobs_completed_total", { function: "l-quick" })).toBe(2);
    expect(worker.metrics().leaseRecoveries).toBe(2);
  });
});
