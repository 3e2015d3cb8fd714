/**
 * What a run prints at the end: one table with both systems and the UpNext/BullMQ ratios, and
 * the targets as PASS/MISS lines with a profiling hint for each miss.
 */
import os from "node:os";
import { contenderLabel, type TracingMode } from "./shared.js";
import { PLANS, TRACING_MODES, type WorkloadName, type WorkloadResult } from "./workloads.js";

interface Column {
  readonly title: string;
  readonly key: string;
  /** How an UpNext/BullMQ ratio reads: ">1" means higher is better for UpNext. */
  readonly better: ">1" | "<1";
  readonly digits: number;
}

const COLUMNS: readonly Column[] = [
  { title: "enqueue/s", key: "enqueue_per_s", better: ">1", digits: 0 },
  { title: "done/s", key: "throughput_per_s", better: ">1", digits: 0 },
  { title: "start p50", key: "p50_ms", better: "<1", digits: 2 },
  { title: "p95", key: "p95_ms", better: "<1", digits: 2 },
  { title: "p99", key: "p99_ms", better: "<1", digits: 2 },
  { title: "finish p50", key: "p50_finish_ms", better: "<1", digits: 2 },
  { title: "p95", key: "p95_finish_ms", better: "<1", digits: 2 },
  { title: "p99", key: "p99_finish_ms", better: "<1", digits: 2 },
  { title: "RSS MB", key: "rss_mb", better: "<1", digits: 1 },
  { title: "wkr µs/job", key: "worker_cpu_us_per_job", better: "<1", digits: 1 },
  { title: "redis µs/job", key: "redis_cpu_us_per_job", better: "<1", digits: 1 },
  { title: "cores busy", key: "cores_busy", better: ">1", digits: 2 },
  { title: "machine", key: "machine_busy", better: "<1", digits: 2 },
];

/**
 * The BullMQ row the targets compare against: the burst's highest done/s, the sustained
 * workloads' lowest p99 enqueue->start (the fastest of BullMQ's retention settings).
 */
function fastestBullmq(rows: readonly WorkloadResult[], name: WorkloadName): WorkloadResult | undefined {
  const bullmq = rows.filter((row) => row.name === name && row.system === "bullmq");
  const score = (row: WorkloadResult): number =>
    name === "burst" ? (row.throughput_per_s ?? 0) : -(row.p99_ms ?? Number.POSITIVE_INFINITY);
  return bullmq.reduce<WorkloadResult | undefined>(
    (best, row) => (best === undefined || score(row) > score(best) ? row : best),
    undefined,
  );
}

function rowLabel(row: WorkloadResult): string {
  return contenderLabel({ system: row.system, retention: row.retention });
}

function numberAt(row: WorkloadResult | undefined, key: string): number | null {
  const value = row?.[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function ratio(upnext: number | null, bullmq: number | null): string {
  if (upnext === null || bullmq === null || bullmq === 0) return "-";
  return `${(upnext / bullmq).toFixed(2)}x`;
}

function renderTable(results: readonly WorkloadResult[]): string {
  const header = ["workload", "system", "jobs", ...COLUMNS.map((column) => column.title)];
  const rows: string[][] = [
    header,
    ["", "better if", "", ...COLUMNS.map((column) => `ratio ${column.better}`)],
  ];
  for (const plan of PLANS) {
    const byWorkload = results.filter((row) => row.name === plan.name);
    // The tracing workload is UpNext alone: it has its own section.
    if (byWorkload.length === 0 || plan.name === "tracing") continue;
    for (const row of byWorkload) {
      rows.push([
        row.name,
        rowLabel(row),
        String(row.jobs),
        ...COLUMNS.map((column) => numberAt(row, column.key)?.toFixed(column.digits) ?? "-"),
      ]);
    }
    const upnext = byWorkload.find((row) => row.system === "upnext");
    const bullmq = fastestBullmq(byWorkload, plan.name);
    rows.push([
      plan.name,
      bullmq ? `UpNext/${rowLabel(bullmq)}` : "UpNext/BullMQ",
      "",
      ...COLUMNS.map((column) => ratio(numberAt(upnext, column.key), numberAt(bullmq, column.key))),
    ]);
  }
  const widths = header.map((_, index) => Math.max(...rows.map((row) => (row[index] ?? "").length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, index) => (index < 2 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0)))
      .join("  ");
  const rule = "-".repeat(widths.reduce((sum, width) => sum + width + 2, -2));
  const out = [line(header), line(rows[1] ?? []), rule];
  let previous = "";
  for (const row of rows.slice(2)) {
    if (row[0] !== previous && previous !== "") out.push(rule);
    previous = row[0] ?? "";
    out.push(line(row));
  }
  return out.join("\n");
}

function findUpnext(results: readonly WorkloadResult[], name: WorkloadName) {
  return results.find((row) => row.name === name && row.system === "upnext");
}

/** A PASS/MISS line for "UpNext's `key` is at most (or at least) `factor` × the fastest BullMQ row's". */
function ratioTarget(
  title: string,
  key: string,
  upnext: WorkloadResult,
  bullmq: WorkloadResult,
  factor: number,
  direction: "<=" | ">=",
  unit: string,
): { line: string; pass: boolean } {
  const u = numberAt(upnext, key);
  const b = numberAt(bullmq, key);
  const pass = u !== null && b !== null && b > 0 && (direction === "<=" ? u <= factor * b : u >= factor * b);
  return {
    pass,
    line: `${pass ? "PASS" : "MISS"} ${title}: UpNext ${u ?? "-"}${unit} = ${ratio(u, b)} ${rowLabel(bullmq)} ${b ?? "-"}${unit} (target ${direction} ${factor.toFixed(2)}x)`,
  };
}

function targets(results: readonly WorkloadResult[]): string[] {
  const lines: string[] = [];
  const skip = (what: string) => lines.push(`SKIP ${what} (workload not run)`);

  const burstU = findUpnext(results, "burst");
  const burstB = fastestBullmq(results, "burst");
  if (burstU && burstB) {
    const throughput = ratioTarget(
      "burst processing throughput",
      "throughput_per_s",
      burstU,
      burstB,
      1.5,
      ">=",
      "/s",
    );
    lines.push(throughput.line);
    if (!throughput.pass)
      lines.push(
        "     hint: profile the UpNext worker with `npm run bench -- --only=burst --cpu-prof` and open",
        "           bench/results/burst-upnext.cpuprofile in DevTools; compare the worker and Redis",
        "           µs/job columns to see which side saturates; `redis-cli INFO commandstats` for per-script",
        "           Redis time.",
      );
    for (const [title, key] of [
      ["burst worker CPU per job", "worker_cpu_us_per_job"],
      ["burst Redis CPU per job", "redis_cpu_us_per_job"],
    ] as const)
      lines.push(ratioTarget(title, key, burstU, burstB, 0.5, "<=", " µs").line);
    const busy = numberAt(burstU, "cores_busy");
    lines.push(
      `${busy !== null && busy >= 0.85 ? "PASS" : "MISS"} burst cores busy (UpNext worker + Redis): ${busy ?? "-"} of the machine (target >= 0.85)`,
    );
    const rss = ratioTarget("worker peak RSS during burst", "rss_mb", burstU, burstB, 1, "<=", " MB");
    lines.push(rss.line);
    if (!rss.pass)
      lines.push(
        "     hint: `npm run bench -- --only=burst --heap-prof` writes bench/results/burst-upnext.heapprofile",
        "           (open in Chrome DevTools > Memory); check prefetch and the status buffer size.",
      );
  } else skip("burst targets");

  const susU = findUpnext(results, "sustained-2000");
  const susB = fastestBullmq(results, "sustained-2000");
  if (susU && susB) {
    const p99 = ratioTarget("sustained-2000 p99 enqueue->start", "p99_ms", susU, susB, 0.25, "<=", " ms");
    lines.push(p99.line);
    if (!p99.pass)
      lines.push(
        "     hint: `npm run bench -- --only=sustained-2000 --cpu-prof`, then look for long tasks in",
        "           bench/results/sustained-2000-upnext.cpuprofile (event-loop stalls show up directly in p99);",
        "           check details.statusBuffer (blockedPublishers) and producer_max_lag_ms in the JSON.",
      );
  } else skip("sustained-2000 p99 target");

  const tracing = tracingMedians(results);
  if (tracing) {
    const ratio = tracing.ratio("api");
    const cpu = tracing.cpuRatio("api");
    const pass = ratio !== null && ratio >= 0.97;
    lines.push(
      `${pass ? "PASS" : "MISS"} tracing: API without an SDK = ${ratio?.toFixed(3) ?? "-"}x tracing off (burst done/s, medians; target >= 0.97); worker CPU per job ${cpu?.toFixed(3) ?? "-"}x`,
    );
    if (!pass)
      lines.push(
        "     hint: done/s swings with other load on the machine (see loadavg_1m in the JSON); the CPU per job",
        "           ratio is the steadier figure. `npm run bench -- --only=tracing --cpu-prof` profiles each arm",
        "           (bench/results/tracing-upnext-api-*.cpuprofile: look for runtime/observability/tracing.ts).",
      );
  } else skip("tracing overhead target");
  return lines;
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? null)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

interface TracingMedians {
  readonly runs: ReadonlyMap<TracingMode, readonly number[]>;
  /** Worker CPU time per job (µs) of each run: less sensitive to other load than done/s. */
  readonly cpu: ReadonlyMap<TracingMode, readonly number[]>;
  readonly median: (mode: TracingMode) => number | null;
  /** Median done/s of `mode` over that of `off`. */
  readonly ratio: (mode: TracingMode) => number | null;
  /** Median worker CPU per job of `mode` over that of `off`. */
  readonly cpuRatio: (mode: TracingMode) => number | null;
  /** Highest 1-minute load average seen at the start of a run. */
  readonly maxLoad: number;
}

function tracingMedians(results: readonly WorkloadResult[]): TracingMedians | undefined {
  const rows = results.filter((row) => row.name === "tracing");
  if (rows.length === 0) return undefined;
  const runs = new Map<TracingMode, number[]>();
  const cpu = new Map<TracingMode, number[]>();
  for (const row of rows) {
    const mode = row.tracing as TracingMode;
    if (row.throughput_per_s !== null) runs.set(mode, [...(runs.get(mode) ?? []), row.throughput_per_s]);
    const cpuS = numberAt(row, "worker_cpu_s");
    if (cpuS !== null && row.jobs > 0)
      cpu.set(mode, [...(cpu.get(mode) ?? []), Math.round((cpuS * 1e7) / row.jobs) / 10]);
  }
  const medianOf = (mode: TracingMode) => median(runs.get(mode) ?? []);
  const cpuOf = (mode: TracingMode) => median(cpu.get(mode) ?? []);
  return {
    runs,
    cpu,
    maxLoad: Math.max(0, ...rows.map((row) => numberAt(row, "loadavg_1m") ?? 0)),
    cpuRatio: (mode) => {
      const value = cpuOf(mode);
      const off = cpuOf("off");
      return value === null || off === null || off === 0 ? null : value / off;
    },
    median: medianOf,
    ratio: (mode) => {
      const value = medianOf(mode);
      const off = medianOf("off");
      return value === null || off === null || off === 0 ? null : value / off;
    },
  };
}

const TRACING_LABEL: Readonly<Record<TracingMode, string>> = {
  off: "tracing off (Worker tracing: false)",
  api: "@opentelemetry/api, no SDK (default)",
  sdk: "SDK registered, every span recorded",
};

/** The tracing workload's arms: every run's done/s, the median, and the ratio to tracing off. */
function renderTracing(results: readonly WorkloadResult[]): string[] {
  const tracing = tracingMedians(results);
  if (!tracing) return [];
  const lines = [
    "tracing overhead (UpNext burst; done/s of each run, its median and that median over tracing off's;",
    "worker CPU per job, median of the runs):",
  ];
  for (const mode of TRACING_MODES) {
    const runs = tracing.runs.get(mode) ?? [];
    const ratio = tracing.ratio(mode);
    const cpu = median(tracing.cpu.get(mode) ?? []);
    const cpuRatioValue = tracing.cpuRatio(mode);
    const cpuRatio = cpuRatioValue === null ? "" : ` (${cpuRatioValue.toFixed(3)}x)`;
    lines.push(
      `  ${mode.padEnd(4)} ${TRACING_LABEL[mode].padEnd(38)} ${runs.join(", ").padEnd(38)} median ${String(tracing.median(mode) ?? "-").padStart(6)}/s ${ratio === null ? "-" : `${ratio.toFixed(3)}x`}  cpu ${cpu ?? "-"} µs/job${cpuRatio}`,
    );
  }
  const cores = os.availableParallelism();
  if (tracing.maxLoad > cores / 2)
    lines.push(
      `  note: the load average reached ${tracing.maxLoad} on ${cores} cores during these runs: done/s is noisy, CPU per job less so.`,
    );
  return lines;
}

/** The table, how to read it, and the targets. */
export function printReport(results: readonly WorkloadResult[]): void {
  if (results.some((row) => row.name !== "tracing")) {
    console.log("");
    console.log(renderTable(results));
    console.log(
      "\nratios are UpNext/BullMQ: for enqueue/s and done/s > 1 favours UpNext; for latencies, RSS and CPU < 1 does.",
    );
    console.log(
      "start = enqueue->handler start, finish = enqueue->outcome stored (ms; sustained only). burst done/s = first start -> last stored.",
    );
  }
  const tracing = renderTracing(results);
  if (tracing.length > 0) console.log(`\n${tracing.join("\n")}`);
  console.log("\ntargets:");
  for (const line of targets(results)) console.log(`  ${line}`);
}
