/**
 * One timer renews the lease of every job the worker holds (prefetched and finishing jobs
 * too), one call per function, at a third of the lease duration, so a healthy worker keeps
 * long jobs forever and a dead one loses them within one lease.
 */
import type { HeldJob, QueueBackend } from "../../backend/queue-backend.js";
import type { Logger } from "../observability/logger.js";

export class LeaseRenewer {
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;
  renewals = 0;
  failures = 0;

  constructor(
    private readonly backend: QueueBackend,
    private readonly held: () => Map<string, HeldJob[]>,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.renewNow(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  async renewNow(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      const groups = this.held();
      await Promise.all(
        [...groups].map(async ([fn, jobs]) => {
          try {
            await this.backend.renewLeases(
              fn,
              jobs.map((job) => job.id),
              this.leaseMs,
            );
            this.renewals += jobs.length;
          } catch (error) {
            this.failures++;
            this.logger.warn(
              { function: fn, jobs: jobs.length, err: String(error) },
              "renewing leases failed",
            );
          }
        }),
      );
    } finally {
      this.renewing = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
