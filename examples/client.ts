/**
 * A traffic generator: submits a weighted mix of jobs at random (Poisson) intervals, some delayed,
 * orders with idempotency keys (now and then submitted twice on purpose), and cancels a job now and
 * then. service.ts runs it in-process; it also runs on its own against any worker on the same Redis:
 *
 *   npx tsx --conditions=@upnext/source examples/client.ts   # UPNEXT_EXAMPLE_RATE jobs/s (default 5), Ctrl-C to stop
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidInputError, type JobRef } from "upnext";
import { DEFAULT_REDIS_URL, answersPing } from "./local-redis.js";
import { createExampleWorker, type ExampleTasks, type Order, type ReportRequest } from "./tasks.js";
import { bold, complain, dim, magenta, say, yellow } from "./terminal-style.js";

export const DEFAULT_RATE = 5;

export interface TrafficOptions {
  /** Average jobs submitted per second. */
  readonly rate: number;
  /** Print a summary line this often (ms); off by default (the service prints every event instead). */
  readonly summaryEveryMs?: number;
}

export interface TrafficCounts {
  submitted: number;
  delayed: number;
  duplicates: number;
  rejected: number;
  cancelled: number;
  errors: number;
}

export interface Traffic {
  readonly counts: Readonly<TrafficCounts>;
  /** Stops submitting and waits for submissions in flight. */
  stop(): Promise<void>;
}

/** UPNEXT_EXAMPLE_RATE as a positive number, or the default (with a warning when it is invalid). */
export function rateFromEnv(): number {
  const raw = process.env.UPNEXT_EXAMPLE_RATE;
  if (raw === undefined || raw.trim() === "") return DEFAULT_RATE;
  const rate = Number(raw);
  if (Number.isFinite(rate) && rate > 0 && rate <= 1_000) return rate;
  say(
    "client",
    yellow(`UPNEXT_EXAMPLE_RATE=${JSON.stringify(raw)} is not a rate in (0, 1000]; using ${DEFAULT_RATE}`),
  );
  return DEFAULT_RATE;
}

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new Error("pick() from an empty list");
  return item;
}

function weighted<T extends string>(weights: Readonly<Record<T, number>>): T {
  const entries = Object.entries(weights) as [T, number][];
  let roll = Math.random() * entries.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [key, weight] of entries) {
    roll -= weight;
    if (roll < 0) return key;
  }
  return pick(entries)[0];
}

function between(min: number, max: number): number {
  return Math.round(min + Math.random() * (max - min));
}

function token(): string {
  return randomBytes(3).toString("hex");
}

function short(id: string): string {
  return id.slice(-6);
}

const CUSTOMERS = ["ada", "grace", "linus", "margaret", "ken", "barbara", "dennis", "frances"];
const SKUS = ["KB-101", "MS-220", "USB-C-1M", "MON-27", "HDMI-2", "DOCK-3", "CAM-HD"];
const MIX = { "send-email": 40, "process-order": 30, "generate-report": 15, "resize-image": 15 } as const;

/** Jobs the client may cancel later: delayed ones and reports (long enough to be caught running). */
class RecentJobs {
  private readonly refs: JobRef[] = [];
  add(ref: JobRef): void {
    this.refs.push(ref);
    if (this.refs.length > 20) this.refs.shift();
  }
  /** The newest: most likely still scheduled or running. */
  take(): JobRef | undefined {
    return this.refs.pop();
  }
}

export function startTraffic(tasks: ExampleTasks, options: TrafficOptions): Traffic {
  const counts: TrafficCounts = {
    submitted: 0,
    delayed: 0,
    duplicates: 0,
    rejected: 0,
    cancelled: 0,
    errors: 0,
  };
  const inFlight = new Set<Promise<void>>();
  const cancellable = new RecentJobs();
  const recentOrders: Order[] = [];
  let timer: NodeJS.Timeout | undefined;
  let summary: NodeJS.Timeout | undefined;
  let stopped = false;

  const note = (message: string) => {
    say("client", message);
  };

  async function sendEmail(): Promise<void> {
    const customer = pick(CUSTOMERS);
    // About 1 in 50 addresses has a typo: the task's schema rejects it at submit time.
    const to = Math.random() < 0.02 ? `${customer}@example` : `${customer}@example.com`;
    const newsletter = Math.random() < 0.1;
    try {
      const ref = await tasks.sendEmail.submit(
        newsletter
          ? { to, subject: "Our weekly newsletter", body: "What's new this week..." }
          : { to, subject: "Your password reset link", body: `Reset code ${token()}` },
        newsletter ? { delay: between(2_000, 6_000), tags: { campaign: "weekly" } } : {},
      );
      counts.submitted++;
      if (newsletter) {
        counts.delayed++;
        cancellable.add(ref);
      }
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      counts.rejected++;
      note(`${yellow("rejected at submit")} send-email to ${JSON.stringify(to)}: ${error.message}`);
    }
  }

  async function processOrder(): Promise<void> {
    const previous = recentOrders.length > 0 && Math.random() < 0.1 ? pick(recentOrders) : undefined;
    if (previous) {
      // A double-clicked "buy" button: same idempotency key, so no second job is created.
      const key = `order:${previous.orderId}`;
      const ref = await tasks.processOrder.submit(previous, { idempotencyKey: key });
      counts.duplicates++;
      note(
        `${magenta("duplicate submit")} of order ${previous.orderId} (idempotency key ${key}) ` +
          `returned the existing job #${short(ref.id)}; no new job`,
      );
      return;
    }
    const order: Order = {
      orderId: `ord_${token()}`,
      customerEmail: `${pick(CUSTOMERS)}@example.com`,
      items: Array.from({ length: between(1, 6) }, () => ({
        sku: pick(SKUS),
        quantity: between(1, 3),
        unitPrice: between(500, 25_000) / 100,
      })),
    };
    await tasks.processOrder.submit(order, {
      idempotencyKey: `order:${order.orderId}`,
      tags: { orderId: order.orderId },
    });
    counts.submitted++;
    recentOrders.push(order);
    if (recentOrders.length > 10) recentOrders.shift();
  }

  async function generateReport(): Promise<void> {
    const kind = weighted({ daily: 60, weekly: 20, monthly: 20 } as const);
    const rows =
      kind === "daily"
        ? between(100_000, 300_000)
        : kind === "weekly"
          ? between(400_000, 1_000_000)
          : between(1_500_000, 3_500_000);
    const request: ReportRequest = { reportId: `rep_${token()}`, kind, rows };
    const scheduled = Math.random() < 0.25;
    const ref = await tasks.generateReport.submit(request, scheduled ? { delay: between(2_000, 8_000) } : {});
    counts.submitted++;
    if (scheduled) counts.delayed++;
    cancellable.add(ref);
  }

  async function resizeImage(): Promise<void> {
    const [width, height] = pick([
      [6000, 4000],
      [4032, 3024],
      [1920, 1080],
    ] as const);
    await tasks.resizeImage.submit({
      imageId: `img_${token()}`,
      width,
      height,
      targetWidth: pick([320, 640, 1280]),
    });
    counts.submitted++;
  }

  async function cancelOne(): Promise<void> {
    const ref = cancellable.take();
    if (!ref) return;
    const cancelled = await ref.cancel("cancelled by the example client");
    if (cancelled) counts.cancelled++;
    note(
      `${bold("cancel")} ${ref.functionName} #${short(ref.id)} -> ${
        cancelled ? "cancelled" : dim("had already finished")
      }`,
    );
  }

  function track(work: () => Promise<void>): void {
    const promise = work().catch((error: unknown) => {
      counts.errors++;
      complain(`client: ${error instanceof Error ? error.message : String(error)}`);
    });
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
  }

  function tick(): void {
    if (stopped) return;
    const kind = weighted(MIX);
    track(
      kind === "send-email"
        ? sendEmail
        : kind === "process-order"
          ? processOrder
          : kind === "generate-report"
            ? generateReport
            : resizeImage,
    );
    // About one cancel every 10 seconds, whatever the rate.
    if (Math.random() < 1 / (10 * options.rate)) track(cancelOne);
    // Exponential gaps: arrivals look like real, bursty traffic rather than a metronome.
    const gapMs = (-Math.log(1 - Math.random()) / options.rate) * 1_000;
    timer = setTimeout(tick, Math.min(gapMs, 10_000));
  }

  timer = setTimeout(tick, 0);
  if (options.summaryEveryMs !== undefined) {
    summary = setInterval(() => {
      note(
        `${counts.submitted} submitted (${counts.delayed} delayed), ${counts.duplicates} duplicate(s), ` +
          `${counts.rejected} rejected, ${counts.cancelled} cancelled, ${counts.errors} error(s)`,
      );
    }, options.summaryEveryMs);
  }

  return {
    counts,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(summary);
      await Promise.allSettled([...inFlight]);
    },
  };
}

async function main(): Promise<void> {
  const url = process.env.UPNEXT_REDIS_URL ?? DEFAULT_REDIS_URL;
  if (!(await answersPing(url))) {
    complain(`nothing answers at ${url}; start Redis (or \`npm start\`) first, or set UPNEXT_REDIS_URL.`);
    process.exit(1);
  }
  const rate = rateFromEnv();
  const { worker, tasks } = createExampleWorker();
  const traffic = startTraffic(tasks, { rate, summaryEveryMs: 5_000 });
  say("client", `submitting ~${rate} jobs/s to ${url} (Ctrl-C to stop); run \`npm start\` to process them`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say("client", `${signal}: stopping`);
    void (async () => {
      await traffic.stop();
      await worker.stop(); // never started: this only closes the connection
      const { submitted, duplicates, cancelled } = traffic.counts;
      say("client", `done: ${submitted} submitted, ${duplicates} duplicate(s), ${cancelled} cancelled`);
      process.exit(0);
    })();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) await main();
