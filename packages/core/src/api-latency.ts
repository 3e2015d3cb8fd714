/**
 * The latency histogram of HTTP request tracking (docs/http-apis.md): one fixed set of buckets,
 * shared by the process that records requests (upnext/http) and the server that merges minutes
 * into hours and answers p50/p95/p99, so both sides always agree on what a bucket index means.
 *
 * Buckets grow geometrically by 25% from 0.5 ms: bucket 0 holds everything up to 0.5 ms, bucket
 * i everything in (0.5·1.25^(i-1), 0.5·1.25^i] ms, and the last bucket everything above its
 * lower bound (about 4 minutes). A percentile is interpolated inside its bucket, so it is off by
 * at most a quarter of the value, which is the usual price of a mergeable histogram.
 */

const FIRST_BOUND_MS = 0.5;
const GROWTH = 1.25;
const LOG_GROWTH = Math.log(GROWTH);

/** Number of buckets: the last one's lower bound is above four minutes. */
export const LATENCY_BUCKETS = 58;

/** Upper bound (ms) of bucket `index`; Infinity for the last one. */
export function latencyBucketUpperMs(index: number): number {
  return index >= LATENCY_BUCKETS - 1 ? Infinity : FIRST_BOUND_MS * GROWTH ** index;
}

function lowerBoundMs(index: number): number {
  return index === 0 ? 0 : FIRST_BOUND_MS * GROWTH ** (index - 1);
}

/** The bucket a duration (ms) falls in. Negative and non-finite durations count as 0 ms. */
export function latencyBucketOf(durationMs: number): number {
  if (!(durationMs > FIRST_BOUND_MS)) return 0;
  const index = Math.ceil(Math.log(durationMs / FIRST_BOUND_MS) / LOG_GROWTH - 1e-9);
  return index >= LATENCY_BUCKETS ? LATENCY_BUCKETS - 1 : index;
}

/** A histogram as it travels and is stored: `[bucket index, count]` pairs of non-empty buckets. */
export type SparseHistogram = readonly (readonly [number, number])[];

/** Adds a sparse histogram into a dense one (length LATENCY_BUCKETS); ignores bad pairs. */
export function addSparseHistogram(dense: number[], sparse: SparseHistogram): void {
  for (const [index, count] of sparse) {
    if (Number.isInteger(index) && index >= 0 && index < LATENCY_BUCKETS && count > 0) {
      dense[index] = (dense[index] ?? 0) + count;
    }
  }
}

/** A dense histogram as its non-empty buckets. */
export function toSparseHistogram(dense: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  dense.forEach((count, index) => {
    if (count > 0) out.push([index, count]);
  });
  return out;
}

/**
 * The `quantile` (0..1) of a dense histogram, in ms, interpolated linearly inside its bucket;
 * null when the histogram is empty. The open last bucket answers its lower bound.
 */
export function latencyQuantile(dense: readonly number[], quantile: number): number | null {
  let total = 0;
  for (const count of dense) total += count;
  if (total === 0) return null;
  const rank = Math.min(1, Math.max(0, quantile)) * total;
  let seen = 0;
  for (let index = 0; index < dense.length; index++) {
    const count = dense[index] ?? 0;
    if (count === 0) continue;
    if (seen + count >= rank) {
      const lower = lowerBoundMs(index);
      const upper = latencyBucketUpperMs(index);
      if (!Number.isFinite(upper)) return lower;
      const within = count === 0 ? 0 : (rank - seen) / count;
      return lower + (upper - lower) * within;
    }
    seen += count;
  }
  return lowerBoundMs(dense.length - 1);
}

/** The status class of an HTTP status code, as counted per route. */
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

export function statusClassOf(status: number): StatusClass {
  if (status >= 500) return "5xx";
  if (status >= 400) return "4xx";
  if (status >= 300) return "3xx";
  if (status >= 200) return "2xx";
  return "1xx";
}
