/**
 * What a run prints at the end: one table with both systems and the UpNext/BullMQ ratios, and
 * the targets as PASS/MISS lines with a profiling hint for each miss.
 */
import os from "node:os";
import { SYSTEM_LABEL, type SystemName, type TracingMode } from "./shared.js";
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
  { title: "wkr cpu s", key: "worker_cpu_s", better: "<1", digits: 2 },
  { title: "redis cpu s", key: "redis_cpu_s", better: "<1", digits: 2 },
];

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
        SYSTEM_LABEL[row.system],
        String(row.jobs),
        ...COLUMNS.map((column) => numberAt(row, column.key)?.toFixed(column.digits) ?? "-"),
      ]);
    }
    const upnext = byWorkload.find((row) => row.system === "upnext");
    const bullmq = byWorkload.find((row) => row.system === "bullmq");
    rows.push([
      plan.name,
      "UpNext/BullMQ",
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

function find(results: readonly WorkloadResult[], name: WorkloadName, systemName: SystemName) {
  return results.find((row) => row.name === name && row.system === systemName);
}

function targets(results: readonly WorkloadResult[]): string[] {
  const lines: string[] = [];
  const skip = (what: string) => lines.push(`SKIP ${what} (workload not run)`);

  const burstU = find(results, "burst", "upnext");
  const burstB = find(results, "burst", "bullmq");
  if (burstU && burstB) {
    const u = burstU.throughput_per_s ?? 0;
    const b = burstB.throughput_per_s ?? 0;
    const pass = b > 0 && u >= 1.5 * b;
    lines.push(
      `${pass ? "PASS" : "MISS"} burst processing throughput: UpNext ${u}/s = ${ratio(u, b)} BullMQ ${b}/s (target >= 1.50x)`,
    );
    if (!pass)
      lines.push(
        "     hint: profile the UpNext worker with `npm run bench -- --only=burst --cpu-prof` and open",
        "           bench/results/burst-upnext.cpuprofile in Chrome DevTools; compare worker_cpu_s with",
        "           redis_cpu_s in the JSON to see which side saturates; `redis-cli INFO commandstats` for",
        "           per-script Redis time.",
      );
  } else skip("burst throughput target");

  const susU = find(results, "sustained-2000", "upnext");
  const susB = find(results, "sustained-2000", "bullmq");
  if (susU && susB) {
    const u = susU.p99_ms;
    const b = susB.p99_ms;
    const pass = u !== null && b !== null && u <= b;
    lines.push(
      `${pass ? "PASS" : "MISS"} sustained-2000 p99 enqueue->start: UpNext ${u ?? "-"} ms vs BullMQ ${b ?? "-"} ms (target UpNext <= BullMQ)`,
    );
    if (!pass)
      lines.push(
        "     hint: `npm run bench -- --only=sustained-2000 --cpu-prof`, then look for long tasks in",
        "           bench/results/sustained-2000-upnext.cpuprofile (event-loop stalls show up directly in p99);",
        "           check details.statusBuffer (blockedPublishers) and producer_max_lag_ms in the JSON.",
      );
  } else skip("sustained-2000 p99 target");

  if (burstU) {
    const pass = burstU.rss_mb < 200;
    lines.push(
      `${pass ? "PASS" : "MISS"} UpNext worker peak RSS during burst: ${burstU.rss_mb} MB (target < 200 MB)`,
    );
    if (!pass)
      lines.push(
        "     hint: `npm run bench -- --only=burst --heap-prof` writes bench/results/burst-upnext.heapprofile",
        "           (open in Chrome DevTools > Memory); check prefetch and the status buffer size.",
      );
  } else skip("burst RSS target");

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
