/** What the ingest benchmark (ingest.ts) and its processes (ingest-child.ts) share. */

export interface IngestChildSpec {
  readonly role: "worker" | "ingester";
  readonly redisUrl: string;
  readonly namespace: string;
  readonly concurrency: number;
  /** Ingester: the database to write to. */
  readonly databaseUrl?: string;
  readonly schema?: string;
}

export type IngestChildMessage =
  | { readonly type: "ready" }
  | { readonly type: "stopped"; readonly counters: Readonly<Record<string, unknown>> };

export const BENCH_TASK = "report";
