/** Reading the replies of an ioredis pipeline: any failed command fails the whole read. */

export type PipelineReplies = [error: Error | null, result: unknown][] | null;

/** The results in order; throws the first command error (a dropped connection fails `exec` itself). */
export function pipelineResults(replies: PipelineReplies): unknown[] {
  if (replies === null) throw new Error("Connection is closed.");
  const failed = replies.find(([error]) => error !== null)?.[0];
  if (failed) throw failed;
  return replies.map(([, result]) => result);
}

export function asHash(value: unknown): Record<string, string> {
  return value !== null && typeof value === "object" ? (value as Record<string, string>) : {};
}

export function asCount(value: unknown): number {
  const number = Number(value);
  return Number.isFinite(number) ? number : 0;
}

/** An integer field of a registry hash, or null when absent or not a number. */
export function intField(hash: Record<string, string>, field: string): number | null {
  const text = hash[field];
  if (text === undefined || text === "") return null;
  const number = Number(text);
  return Number.isSafeInteger(number) ? number : null;
}
