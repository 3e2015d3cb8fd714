import {
  InvalidInputError,
  InvalidOptionError,
  TaskTimeoutError,
  type EventSentEvent,
  type JobOrigin,
} from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { EventSubscriptions, SUBSCRIPTION_TTL_MS } from "../src/runtime/flow/event-subscriptions.js";
import {
  InvalidEventPayloadError,
  defineEvent,
  gather,
  listSubscriptions,
  matchesPattern,
  removeSubscription,
  type Context,
} from "../src/index.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { readEvents, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("events");
const redis = redisClient();
const billing = testWorker(namespace, { name: "billing", concurrency: 4 });
const audit = testWorker(namespace, { name: "audit", concurrency: 4 });
// Sends through its own connection, as another process would; never started.
const producer = testWorker(namespace, { name: "producer" });

const orderSchema = z.object({ orderId: z.string(), total: z.number() });
const orderPlaced = defineEvent("order.placed", { schema: orderSchema, connection: producer });
const orderCancelled = defineEvent<{ orderId: string }>("order.cancelled", { connection: producer });
const shipmentCreated = defineEvent<{ shipmentId: string }>("shipment.created", { connection: producer });
const slowEvent = defineEvent<null>("slow.thing", { connection: producer });
const nobodyListens = defineEvent<{ n: number }>("nobody.listens", { connection: producer });

interface Delivery {
  readonly handler: string;
  readonly jobId: string;
  readonly payload: unknown;
  readonly origin: JobOrigin | null;
  readonly attempt: number;
}
const deliveries: Delivery[] = [];
function record(payload: unknown, ctx: Context): string {
  deliveries.push({
    handler: ctx.function,
    jobId: ctx.jobId,
    payload,
    origin: ctx.origin,
    attempt: ctx.attempt,
  });
  return ctx.function;
}

// billing: the exact event (typed by its handle) and `*`, with a retry.
const receipt = billing.on(orderPlaced, { name: "billing.receipt" }, (payload, ctx) => {
  record(payload, ctx);
  return `receipt for ${payload.orderId}`;
});
billing.on(
  "order.*",
  { name: "billing.any-order", retries: 1, backoff: { type: "fixed", delay: "10ms" }, priority: 3 },
  (payload: unknown, ctx) => {
    if (ctx.attempt === 1) throw new Error("first attempt fails");
    return record(payload, ctx);
  },
);
const ship = billing.task("ship", {}, async (input: { shipmentId: string }) => {
  const sent = await shipmentCreated.send(input);
  return { eventId: sent.eventId, jobIds: sent.jobs.map((job) => job.id) };
});

// audit: `**` at both ends, one pattern that never matches, and a handler with a timeout.
audit.on("**.placed", { name: "audit.placed-anywhere" }, record);
const derived = audit.on("order.**", {}, record);
audit.on("user.*", { name: "audit.users" }, record);
audit.on("shipment.*", { name: "audit.shipments" }, record);
audit.on("slow.*", { name: "audit.slow", timeout: "100ms" }, async (_payload: null, ctx) => {
  await new Promise((resolve) => {
    ctx.signal.addEventListener("abort", resolve);
  });
});

const ORDER_PLACED_HANDLERS = [
  "audit.placed-anywhere",
  "audit:on:order.__",
  "billing.any-order",
  "billing.receipt",
];

async function sentEvents(): Promise<EventSentEvent[]> {
  await producer.connection.publisher.flush();
  await billing.connection.publisher.flush();
  return (await readEvents(redis, namespace)).filter(
    (event): event is EventSentEvent => event.type === "event.sent",
  );
}

beforeAll(async () => {
  await billing.start();
  await audit.start();
});

afterAll(async () => {
  await billing.stop();
  await audit.stop();
  await producer.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

describe("patterns", () => {
  it.each([
    ["order.placed", "order.placed", true],
    ["order.placed", "order.cancelled", false],
    ["order.*", "order.placed", true],
    ["order.*", "order", false],
    ["order.*", "order.placed.eu", false],
    ["*.placed", "order.placed", true],
    ["*", "order", true],
    ["*", "order.placed", false],
    ["**", "order", true],
    ["**", "order.placed.eu", true],
    ["order.**", "order", true],
    ["order.**", "order.placed", true],
    ["order.**", "order.placed.eu", true],
    ["order.**", "orders.placed", false],
    ["**.placed", "placed", true],
    ["**.placed", "order.placed", true],
    ["**.placed", "eu.order.placed", true],
    ["**.placed", "order.placed.eu", false],
    ["a.**.z", "a.z", true],
    ["a.**.z", "a.b.c.z", true],
    ["a.**.z", "a.b.c", false],
    ["a.*.**.z", "a.z", false],
    ["a.*.**.z", "a.b.z", true],
    ["**.b.**", "a.b.c", true],
    ["**.b.**", "a.c", false],
  ])("%s against %s: %s", (pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it.each(["", "order..placed", ".order", "order.", "ord*", "order.*x", "***", "order placed", "order.{x}"])(
    "rejects the pattern %j when the handler is defined",
    (pattern) => {
      const scratch = testWorker(namespace, { name: "scratch" });
      expect(() => scratch.on(pattern, { name: "scratch.handler" }, () => null)).toThrow(InvalidOptionError);
    },
  );

  it.each(["order.*", "order.**", "", "-order", "order..placed", "order placed", "x".repeat(129)])(
    "rejects the event name %j",
    (name) => {
      expect(() => defineEvent(name)).toThrow(InvalidOptionError);
    },
  );

  it("derives a handler name from the worker and the pattern when none is given", () => {
    expect(derived.name).toBe("audit:on:order.__");
    const scratch = testWorker(namespace, { name: "scratch" });
    expect(scratch.on("*.placed", {}, () => null).name).toBe("scratch:on:_.placed");
    // The same pattern twice on one worker would be the same task.
    expect(() => scratch.on("*.placed", {}, () => null)).toThrow(InvalidOptionError);
  });
});

describe("sending", () => {
  it("routes a send to one job per matching handler across workers, with retries like any task", async () => {
    const sent = await orderPlaced.send({ orderId: "o-1", total: 12.5 });
    expect(sent.delivered).toBe(4);
    expect(sent.jobs.map((job) => job.functionName)).toEqual(ORDER_PLACED_HANDLERS);
    const results = await gather(sent.jobs, { timeout: "10s" });
    expect(results).toEqual([
      "audit.placed-anywhere",
      "audit:on:order.__",
      "billing.any-order",
      "receipt for o-1",
    ]);
    expect(await receipt.ref(sent.jobs[3]?.id ?? "").result()).toBe("receipt for o-1");

    const mine = deliveries.filter(
      (delivery) => delivery.origin?.kind === "event" && delivery.origin.eventId === sent.eventId,
    );
    expect(mine.map((delivery) => delivery.handler).sort()).toEqual(ORDER_PLACED_HANDLERS);
    for (const delivery of mine) {
      expect(delivery.payload).toEqual({ orderId: "o-1", total: 12.5 });
      expect(delivery.origin).toEqual({ kind: "event", event: "order.placed", eventId: sent.eventId });
    }
    // The retried handler ran its second attempt; the non-matching `user.*` handler never ran.
    expect(mine.find((delivery) => delivery.handler === "billing.any-order")?.attempt).toBe(2);
    expect(deliveries.some((delivery) => delivery.handler === "audit.users")).toBe(false);

    const snapshot = await sent.jobs[2]?.status();
    expect(snapshot?.maxAttempts).toBe(2);
    expect(snapshot?.priority).toBe(3);
    expect(snapshot?.parentId).toBeNull();
    expect(snapshot?.origin).toEqual({ kind: "event", event: "order.placed", eventId: sent.eventId });

    const recorded = (await sentEvents()).find((event) => event.data.eventId === sent.eventId);
    expect(recorded?.data).toEqual({
      event: "order.placed",
      eventId: sent.eventId,
      payload: { orderId: "o-1", total: 12.5 },
      delivered: 4,
      jobIds: sent.jobs.map((job) => job.id),
    });
    expect(recorded?.workerId).toBeNull();
    expect(recorded?.parentId).toBeUndefined();
  });

  it("applies the handler's timeout", async () => {
    const sent = await slowEvent.send(null);
    expect(sent.delivered).toBe(1);
    await expect(sent.jobs[0]?.result({ timeout: "10s" })).rejects.toBeInstanceOf(TaskTimeoutError);
  });

  it("makes the handlers' jobs children of the job that sent the event", async () => {
    const parent = await ship.submit({ shipmentId: "s-1" });
    const { eventId, jobIds } = await parent.result({ timeout: "10s" });
    expect(jobIds).toHaveLength(1);
    const child = billing.connection.backend;
    const snapshot = await child.getJob(jobIds[0] ?? "");
    expect(snapshot?.function).toBe("audit.shipments");
    expect(snapshot?.parentId).toBe(parent.id);
    expect(snapshot?.rootId).toBe(parent.id);
    expect(snapshot?.origin).toEqual({ kind: "event", event: "shipment.created", eventId });
    const recorded = await eventually(
      async () => (await sentEvents()).find((event) => event.data.eventId === eventId),
      "the event.sent of the send inside the job",
    );
    expect(recorded.parentId).toBe(parent.id);
    expect(recorded.rootId).toBe(parent.id);
  });

  it("returns the first send's event and jobs for a repeated idempotency key", async () => {
    const first = await orderPlaced.send({ orderId: "o-7", total: 1 }, { idempotencyKey: "order-7" });
    const again = await orderPlaced.send({ orderId: "o-7", total: 1 }, { idempotencyKey: " order-7 " });
    expect(again.eventId).toBe(first.eventId);
    expect(again.delivered).toBe(4);
    expect(again.jobs.map((job) => job.id)).toEqual(first.jobs.map((job) => job.id));
    // Keys are per event: another event routed to the same handlers makes its own jobs.
    const cancelled = await orderCancelled.send({ orderId: "o-7" }, { idempotencyKey: "order-7" });
    expect(cancelled.eventId).not.toBe(first.eventId);
    expect(cancelled.jobs.map((job) => job.functionName)).toEqual(["audit:on:order.__", "billing.any-order"]);
    const firstIds = new Set(first.jobs.map((job) => job.id));
    expect(cancelled.jobs.some((job) => firstIds.has(job.id))).toBe(false);

    await gather([...first.jobs, ...cancelled.jobs], { timeout: "10s" });
    const runs = deliveries.filter(
      (delivery) => delivery.origin?.kind === "event" && delivery.origin.eventId === first.eventId,
    );
    expect(runs).toHaveLength(4);
    const recorded = (await sentEvents()).filter((event) => event.data.eventId === first.eventId);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.data.idempotencyKey).toBe("order-7");
  });

  it("records a send nobody subscribed to and returns delivered 0", async () => {
    const sent = await nobodyListens.send({ n: 1 });
    expect(sent).toEqual({ eventId: sent.eventId, delivered: 0, jobs: [] });
    const recorded = (await sentEvents()).find((event) => event.data.eventId === sent.eventId);
    expect(recorded?.data).toEqual({
      event: "nobody.listens",
      eventId: sent.eventId,
      payload: { n: 1 },
      delivered: 0,
      jobIds: [],
    });
  });

  it("rejects a payload that fails the event's schema and sends nothing", async () => {
    const before = (await sentEvents()).length;
    const bad = { orderId: 42, total: "a lot" } as unknown as z.infer<typeof orderSchema>;
    const error = await orderPlaced.send(bad).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toBeInstanceOf(InvalidEventPayloadError);
    expect((error as Error).message).toContain("'order.placed'");
    expect((error as Error).message).toContain("orderId");
    expect((await sentEvents()).length).toBe(before);
    await expect(orderPlaced.send({ orderId: "o-1", total: 1 }, { idempotencyKey: "" })).rejects.toThrow(
      InvalidOptionError,
    );
  });
});

describe("subscriptions", () => {
  it("routes to a subscription a newly started worker added, without restarting the sender", async () => {
    const invoicePaid = defineEvent<{ invoiceId: string }>("invoice.paid", { connection: producer });
    expect((await invoicePaid.send({ invoiceId: "i-0" })).delivered).toBe(0);

    const late = testWorker(namespace, { name: "late" });
    late.on("invoice.*", { name: "late.invoices" }, (payload: { invoiceId: string }) => payload.invoiceId);
    await late.start();
    try {
      // The sender's routing table is cached briefly; it notices the new subscription by itself.
      const sent = await eventually(async () => {
        const attempt = await invoicePaid.send({ invoiceId: "i-1" });
        return attempt.delivered > 0 && attempt;
      }, "the new subscription to be routed to");
      expect(sent.jobs.map((job) => job.functionName)).toEqual(["late.invoices"]);
      expect(await sent.jobs[0]?.result({ timeout: "10s" })).toBe("i-1");
    } finally {
      await late.stop();
    }
    // Stopping a worker keeps its subscription: events wait in its queue until it is back.
    expect((await invoicePaid.send({ invoiceId: "i-2" })).delivered).toBe(1);
  });

  it("lists subscriptions, ignores one unseen for longer than the TTL and removes it", async () => {
    const listed = await listSubscriptions({ connection: producer });
    const shipments = listed.find((subscription) => subscription.handler === "audit.shipments");
    expect(shipments).toMatchObject({ pattern: "shipment.*", worker: "audit", live: true });

    // A ghost: registered long ago by a worker whose code no longer has the handler.
    const longAgo = Date.now() - SUBSCRIPTION_TTL_MS - 60_000;
    const ghost = JSON.stringify({
      pattern: "shipment.*",
      worker: "gone",
      maxAttempts: 1,
      maxDeliveries: 3,
      priority: 0,
      registeredAt: longAgo,
    });
    await redis
      .multi()
      .hset(`${namespace}:subscriptions`, "gone.shipments", ghost)
      .zadd(`${namespace}:subscriptions:seen`, longAgo, "gone.shipments")
      .incr(`${namespace}:subscriptions:version`)
      .exec();
    const afterGhost = await listSubscriptions({ connection: producer });
    expect(afterGhost.find((subscription) => subscription.handler === "gone.shipments")?.live).toBe(false);
    // Not routed to, not counted.
    const sent = await eventually(async () => {
      const attempt = await shipmentCreated.send({ shipmentId: "s-2" });
      return attempt.delivered === 1 && attempt;
    }, "a send routed to the live subscription only");
    expect(sent.jobs.map((job) => job.functionName)).toEqual(["audit.shipments"]);

    // Any worker's periodic refresh deletes expired subscriptions and keeps live ones.
    const refresher = new EventSubscriptions("refresher");
    await refresher.start({
      workerId: "refresher-1",
      connection: producer.connection,
      logger: producer.connection.logger,
    });
    await refresher.refresh();
    await refresher.stop();
    const handlers = (await listSubscriptions({ connection: producer })).map(
      (subscription) => subscription.handler,
    );
    expect(handlers).not.toContain("gone.shipments");
    expect(handlers).toContain("audit.shipments");

    // Removed by hand: gone at once (its worker registers it again when it refreshes or restarts).
    expect(await removeSubscription("audit.users", { connection: producer })).toBe(true);
    expect(await removeSubscription("audit.users", { connection: producer })).toBe(false);
  });
});
