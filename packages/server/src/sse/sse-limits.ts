/**
 * Every interval, size and TTL of the live streams, in one place. The hub takes overrides for
 * the ones tests need short (heartbeat, snapshot intervals, buffer bound); production uses these.
 */

/** A comment line at this interval keeps proxies from closing an idle stream and shows the client it is alive. */
export const SSE_HEARTBEAT_MS = 15_000;

/** Sent as `retry:` so a browser's EventSource reconnects after this long instead of its own default. */
export const SSE_RETRY_MS = 3_000;

/**
 * Bytes one connection may keep queued in the server. A client whose queue is over this and has
 * not emptied it for SSE_SLOW_CLIENT_GRACE_MS is disconnected (it reconnects and resumes by
 * Last-Event-ID) instead of the server buffering for it forever.
 */
export const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * How long a queue may stay over the bound: a burst (one read of the status stream is written to
 * every subscriber at once) briefly exceeds it even for a client that reads fast.
 */
export const SSE_SLOW_CLIENT_GRACE_MS = 1_000;

/** A queue this many times the bound is cut at once, grace or not: memory stays bounded. */
export const SSE_HARD_BUFFER_FACTOR = 4;

/** Retry-After (seconds) sent with a 429/503 `too_many_connections`. */
export const SSE_CAP_RETRY_AFTER_S = 5;

/** How long one XREAD of the status stream blocks before it is issued again. */
export const STATUS_READ_BLOCK_MS = 5_000;

/** Most status-stream entries one XREAD returns. */
export const STATUS_READ_COUNT = 500;

/**
 * A socket that has sent nothing for this long while a blocking read is outstanding is dead (a
 * half-open TCP connection that never reported a close): it is dropped and reconnected.
 */
export const STATUS_SOCKET_TIMEOUT_MS = STATUS_READ_BLOCK_MS + 10_000;

/** Pause after a failed read that was not an outage (a wrong key type, say) before reading again. */
export const STATUS_READ_ERROR_BACKOFF_MS = 1_000;

/** Recent status-stream entries kept in memory, so most reconnects resume without reading Redis. */
export const STATUS_RING_MAX_ENTRIES = 2_000;

/** The ring also stops growing at this many bytes of event JSON (events can carry large results). */
export const STATUS_RING_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Most entries a resume older than the ring reads back from the stream (XRANGE). A client further
 * behind gets `event: reset` and refetches over REST instead.
 */
export const RESUME_MAX_ENTRIES = 2_000;

/** Recent artifact notifications kept for resume (pub/sub keeps none). */
export const ARTIFACT_RING_MAX_ENTRIES = 500;

/** How often the workers stream re-reads the worker registry while someone watches it. */
export const WORKERS_SNAPSHOT_INTERVAL_MS = 5_000;

/** Most workers one registry snapshot lists. */
export const WORKERS_SNAPSHOT_MAX = 1_000;

/** How often the dashboard summary is recomputed while someone watches it. */
export const DASHBOARD_SNAPSHOT_INTERVAL_MS = 5_000;

/** Hourly trends change slowly; recomputed at most this often per set of parameters. */
export const TRENDS_SNAPSHOT_INTERVAL_MS = 15_000;

/** Expired snapshot cache entries are removed on this cadence (expiry is by time only). */
export const SNAPSHOT_SWEEP_INTERVAL_MS = 30_000;

/** Most values one multi-valued filter (`function`, `type`) takes. */
export const MAX_FILTER_VALUES = 50;
