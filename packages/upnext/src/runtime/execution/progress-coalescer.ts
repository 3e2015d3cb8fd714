/**
 * Decides which progress updates are worth sending. Progress only moves forward: a lower value
 * than the last accepted one is rejected. Updates are coalesced: one is sent when it is the
 * first, reaches 1, changes the message, moves by at least `minDelta`, or comes at least
 * `minIntervalMs` after the last one sent.
 */
export type ProgressDecision = "send" | "coalesce" | "regression";

export class ProgressCoalescer {
  private lastAccepted = -1;
  private lastSent = -1;
  private lastSentAt = 0;
  private lastMessage: string | undefined;

  constructor(
    private readonly minDelta: number,
    private readonly minIntervalMs: number,
  ) {}

  get current(): number {
    return Math.max(0, this.lastAccepted);
  }

  decide(fraction: number, message: string | undefined, now: number): ProgressDecision {
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
    if (!send) return "coalesce";
    this.lastSent = fraction;
    this.lastSentAt = now;
    this.lastMessage = message;
    return "send";
  }
}
