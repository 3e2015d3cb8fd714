/**
 * Bounded waits for shutdown paths. ioredis queues commands while it reconnects and never settles
 * them if the client is then disconnected, so every wait on Redis during a stop needs its own
 * deadline: a stopping process must exit whatever state Redis is in (docs/shutdown-and-recovery.md).
 */

/**
 * The part of a Redis client a close needs. Structural, so this module stays out of the store
 * layer (only backend/redis/ imports ioredis, docs/architecture.md); an ioredis client fits it.
 */
export interface ClosableClient {
  readonly status: string;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * Waits for `work` at most `timeoutMs`; true when it settled (fulfilled or rejected) in time.
 * A rejection that comes after the deadline is swallowed: nobody is waiting for it any more.
 */
export async function settledWithin(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = work.then(
    () => true,
    () => true,
  );
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(
      () => {
        resolve(false);
      },
      Math.max(0, timeoutMs),
    );
  });
  try {
    return await Promise.race([settled, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes a client: QUIT (pending replies are delivered) when it is connected and answers within
 * `timeoutMs`, else a disconnect. QUIT on a reconnecting client would wait for a connection that
 * may never come back.
 */
export async function closeRedis(client: ClosableClient, timeoutMs: number): Promise<void> {
  if (client.status === "ready") await settledWithin(client.quit(), timeoutMs);
  // Harmless after a QUIT that went through; ends the reconnect loop in every other case.
  client.disconnect();
}
