/**
 * Decides which progress updates are worth sending. Progress only moves forward: a lower value
 * than the last accepted one is rejected. Updates are coalesced: one is sent when it is the
 * first, reaches 1, changes the message, moves by at least `minDelta`, or comes at least
 * `minIntervalMs` after the last one sent. The last coalesced update is kept as pending, so the
 * job context can send it later (on a timer, and when the job ends): the final value is never lost.
 */
export type ProgressDecision = "send" | "coalesce" | "regression";

export interface ProgressUpdate {
  readonly fraction: number;
  readonly message: string | undefined;
  /** `{ current, total }` when the handler reported progress that way. */
  readonly counts?: { readonly current: number; readonly total: number } | undefined;
}

export class ProgressCoalescer {
  private lastAccepted = -1;
  private lastSent = -1;
  private lastSentAt = 0;
  private lastMessage: string | undefined;
  private pendingUpdate: ProgressUpdate | undefined;

  constructor(
    private readonly minDelta: number,
    private readonly minIntervalMs: number,
  ) {}

  get current(): number {
    return Math.max(0, this.lastAccepted);
  }

  /** The last coalesced update, not sent yet. */
  get pending(): ProgressUpdate | undefined {
    return this.pendingUpdate;
  }

  /** When a pending update becomes due under `minIntervalMs` (epoch ms). */
  get dueAt(): number {
    return this.lastSentAt + this.minIntervalMs;
  }

  decide(update: ProgressUpdate, now: number): ProgressDecision {
    const { fraction, message } = update;
    if (fraction < this.lastAccepted) return "regression";
    this.lastAccepted = fraction;
    const unchanged = fraction === this.lastSent && message === this.lastMessage;
    const send =
      !unchanged &&
      (this.lastSent < 0 ||
        fraction >= 1 ||
        message !== this.lastMessage ||
        fraction - this.lastSent >= this.minDelta ||
        now - this.lastSentAt >= this.minIntervalMs);
    if (!send) {
      if (!unchanged) this.pendingUpdate = update;
      return "coalesce";
    }
    this.markSent(update, now);
    return "send";
  }

  /** Takes the pending update (if any) and counts it as sent. */
  takePending(now: number): ProgressUpdate | undefined {
    const update = this.pendingUpdate;
    if (update) this.markSent(update, now);
    return update;
  }

  private markSent(update: ProgressUpdate, now: number): void {
    this.lastSent = update.fraction;
    this.lastSentAt = now;
    this.lastMessage = update.message;
    this.pendingUpdate = undefined;
  }
}
