/**
 * Message ids of the live streams. Every id has the shape of a Redis stream id, `<ms>-<seq>`:
 * on the job and worker streams it *is* the status-stream entry id (so a resume can read the
 * stream from it); on the other streams it is a position the hub made up in the same shape.
 */

/** The one format an id (and so a `Last-Event-ID`) can have. */
export const MESSAGE_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;

export interface StreamId {
  readonly ms: number;
  readonly seq: number;
}

export function parseStreamId(id: string): StreamId {
  const dash = id.indexOf("-");
  if (dash < 0) return { ms: Number(id), seq: 0 };
  return { ms: Number(id.slice(0, dash)), seq: Number(id.slice(dash + 1)) };
}

/** Orders two stream ids: negative when `a` comes first, 0 when equal, positive after. */
export function compareStreamIds(a: string, b: string): number {
  if (a === b) return 0;
  const left = parseStreamId(a);
  const right = parseStreamId(b);
  return left.ms === right.ms ? left.seq - right.seq : left.ms - right.ms;
}

export function maxStreamId(a: string, b: string): string {
  return compareStreamIds(a, b) >= 0 ? a : b;
}
