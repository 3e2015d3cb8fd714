/**
 * The example's worker and its tasks. A factory rather than a module-level worker, so nothing reads
 * the configuration before service.ts has decided which Redis to use. The same definitions serve
 * the worker (service.ts starts it) and producers (client.ts only submits through the handles).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { randomBytes } from "node:crypto";
import { Worker, type Context, type WorkerOptions } from "upnext";
import { z } from "zod";
import type { ResizeImageInput, ResizeImageResult } from "./resize-image.js";
import { dim, say, yellow } from "./terminal-style.js";

export const emailSchema = z.object({
  to: z.email(),
  subject: z.string().min(1).max(200),
  body: z.string(),
});
export type Email = z.infer<typeof emailSchema>;

export const orderSchema = z.object({
  orderId: z.string().min(1),
  customerEmail: z.email(),
  items: z
    .array(
      z.object({
        sku: z.string().min(1),
        quantity: z.number().int().positive(),
        unitPrice: z.number().nonnegative(),
      }),
    )
    .min(1),
});
export type Order = z.infer<typeof orderSchema>;

export const reportSchema = z.object({
  reportId: z.string().min(1),
  kind: z.enum(["daily", "weekly", "monthly"]),
  rows: z.number().int().positive(),
});
export type ReportRequest = z.infer<typeof reportSchema>;

const resizeSchema = z.object({
  imageId: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  targetWidth: z.number().int().positive(),
}) satisfies z.ZodType<ResizeImageInput>;

export interface ExampleWorkerOptions {
  /** Redis URL (default UPNEXT_REDIS_URL). */
  readonly redis?: string;
  /** Let the worker install its own SIGINT/SIGTERM handlers (default false: the caller handles them). */
  readonly handleSignals?: boolean;
  /** Where the library's own logs go (default: JSON lines on stdout at UPNEXT_LOG_LEVEL). */
  readonly logger?: WorkerOptions["logger"];
}

/** A transient SMTP error, the kind that is worth retrying. */
class SmtpTransientError extends Error {
  override readonly name = "SmtpTransientError";
  readonly code = "smtp_451";
}

class InventoryUnavailableError extends Error {
  override readonly name = "InventoryUnavailableError";
}

function between(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

function short(id: string): string {
  return id.slice(-6);
}

/** onFailure hook shared by the tasks: the place to alert someone or compensate. */
function reportFailure(ctx: Context, error: unknown): void {
  const message = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).replaceAll(
    ctx.jobId,
    `#${short(ctx.jobId)}`,
  );
  const subject = ctx.tags.orderId ? ` (order ${ctx.tags.orderId})` : "";
  say(
    "hook",
    `${yellow("onFailure")} ${ctx.function} #${short(ctx.jobId)}${subject} gave up after ${ctx.attempt}/${ctx.maxAttempts} attempt(s): ${message} ${dim("-> would page support here")}`,
  );
}

/** Fake CPU work for about `ms`: the shape of an aggregation that keeps a core busy. */
function crunch(ms: number): number {
  const until = performance.now() + ms;
  let acc = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 10_000; i++) acc = (acc * 1_103_515_245 + 12_345 + i) % 2_147_483_648;
  }
  return acc;
}

export function createExampleWorker(options: ExampleWorkerOptions = {}) {
  const worker = new Worker({
    name: "example",
    concurrency: 16,
    threads: 2,
    // Ctrl-C should not wait 30s for a long report: after 5s unfinished jobs are handed back.
    shutdownTimeout: "5s",
    handleSignals: options.handleSignals ?? false,
    ...(options.redis !== undefined ? { redis: options.redis } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });

  const sendEmail = worker.task(
    "send-email",
    {
      input: emailSchema,
      retries: 3,
      backoff: { type: "exponential", delay: "500ms" },
      timeout: "10s",
      onFailure: reportFailure,
    },
    async (email, ctx) => {
      await sleep(between(40, 250), undefined, { signal: ctx.signal });
      // The mail provider is flaky: about 15% of attempts fail and are retried with backoff.
      if (Math.random() < 0.15) throw new SmtpTransientError("451 4.7.1 greylisted, try again later");
      return { messageId: `<${randomBytes(6).toString("hex")}@mail.example>`, to: email.to };
    },
  );

  interface OrderProgress {
    /** Items already reserved, in order. */
    readonly reserved: number;
    readonly amount: number;
  }

  const processOrder = worker.task(
    "process-order",
    {
      input: orderSchema,
      retries: 2,
      backoff: { type: "fixed", delay: "1s" },
      timeout: "20s",
      onFailure: reportFailure,
    },
    async (order, ctx) => {
      // A retry starts where the failed attempt stopped: items already reserved stay reserved.
      const saved = await ctx.lastCheckpoint<OrderProgress>();
      let { reserved, amount } = saved ?? { reserved: 0, amount: 0 };
      if (saved)
        ctx.log("info", `resuming from checkpoint: ${reserved}/${order.items.length} items reserved`);
      const slow = Math.random() < 0.1;
      if (slow) ctx.log("info", "warehouse API is slow today");

      for (const item of order.items.slice(reserved)) {
        await sleep(slow ? between(700, 1_500) : between(80, 300), undefined, { signal: ctx.signal });
        if (Math.random() < 0.04) throw new InventoryUnavailableError(`reserving ${item.sku} timed out`);
        amount += item.quantity * item.unitPrice;
        reserved += 1;
        await ctx.checkpoint({ reserved, amount } satisfies OrderProgress);
        ctx.progress({ current: reserved, total: order.items.length });
      }

      // A child job: its parentId/rootId point at this job. Should this job run again after the
      // submit (its worker died before the result was stored), the key returns the same email job.
      const confirmation = await sendEmail.submit(
        {
          to: order.customerEmail,
          subject: `Order ${order.orderId} confirmed`,
          body: `We reserved ${order.items.length} item(s) for you. Total: ${amount.toFixed(2)} EUR.`,
        },
        { idempotencyKey: `order-confirmation:${order.orderId}`, tags: { orderId: order.orderId } },
      );
      return {
        orderId: order.orderId,
        items: order.items.length,
        total: Math.round(amount * 100) / 100,
        confirmation: confirmation.id,
      };
    },
  );

  const generateReport = worker.task(
    "generate-report",
    {
      input: reportSchema,
      retries: 1,
      backoff: { delay: "2s" },
      // Big monthly reports sometimes need longer than this and time out (then retry once).
      timeout: "6s",
      onFailure: reportFailure,
    },
    async (request, ctx) => {
      const batchRows = 5_000;
      const batches = Math.ceil(request.rows / batchRows);
      ctx.log("info", `scanning ${request.rows.toLocaleString("en")} rows in ${batches} batches`);
      let digest = 0;
      for (let batch = 1; batch <= batches; batch++) {
        // Stop as soon as the job times out or is cancelled instead of burning CPU for nothing.
        ctx.signal.throwIfAborted();
        await sleep(8, undefined, { signal: ctx.signal }); // fetch the batch
        // Short CPU slices, so other jobs and the worker's own bookkeeping keep running in between.
        digest = (digest + crunch(2)) % 2_147_483_648;
        ctx.progress({ current: batch, total: batches });
      }
      ctx.recordMetric("rows_scanned", request.rows, { kind: request.kind });
      ctx.log("info", "aggregation done, rendering PDF");
      await sleep(between(50, 200), undefined, { signal: ctx.signal });
      return {
        reportId: request.reportId,
        kind: request.kind,
        pages: Math.max(1, Math.round(request.rows / 40_000)),
        digest: digest.toString(16),
      };
    },
  );

  const resizeImage = worker.task<ResizeImageInput, ResizeImageResult>("resize-image", {
    isolate: "thread",
    module: new URL("./resize-image.ts", import.meta.url),
    input: resizeSchema,
    timeout: "5s",
    retries: 1,
    onFailure: reportFailure,
  });

  return { worker, tasks: { sendEmail, processOrder, generateReport, resizeImage } };
}

export type ExampleTasks = ReturnType<typeof createExampleWorker>["tasks"];
