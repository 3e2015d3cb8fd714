import { describe, expect, it } from "vitest";
import {
  JOB_EVENT_TYPES,
  type JobEventData,
  type JobEventType,
  STATUS_EVENT_FIELD,
  eventSentSchema,
  jobEventSchema,
  statusEventSchema,
  workerEventSchema,
} from "../src/index.js";

const AT = Date.UTC(2025, 0, 1);
const error = { name: "Error", message: "boom", stack: "Error: boom\n    at handler", code: "E_BOOM" };
const creation = {
  input: { to: "a@example.com" },
  maxAttempts: 3,
  priority: 0,
  idempotencyKey: "order-42",
  metadata: { source: "api" },
};

/** One valid payload per job event type; typed so a new event type without a sample fails to compile. */
const SAMPLE_DATA: { [T in JobEventType]: JobEventData<T> } = {
  queued: { from: "submit", ...creation },
  scheduled: { ...creation, runAt: AT + 60_000 },
  waiting: { ...creation, dependsOn: ["01JGJ4Z8M2W9T3V6X0Y5Q7R8S0"], onParentFailure: "fail" },
  started: { startedAt: AT, queueWaitMs: 12.5, deliveries: 1 },
  progress: { progress: 0.5, current: 5, total: 10, message: "halfway" },
  checkpoint: { version: 1, state: { cursor: "abc" } },
  log: { level: "info", message: "sent", fields: { messageId: "m-1" } },
  metric: { name: "emails.sent", value: 1, labels: { provider: "ses" } },
  retrying: { error, reason: "exception", retryAt: AT + 1_000, delayMs: 1_000, nextAttempt: 2 },
  completed: { result: { ok: true }, durationMs: 42 },
  failed: { error, reason: "timeout", durationMs: 30_000 },
  cancelled: { reason: "user request", previous: "active" },
  "dead-lettered": { reason: "lost", error, attempts: 3 },
};

const envelope = {
  jobId: "01JGJ4Z8M2W9T3V6X0Y5Q7R8S1",
  function: "send-email",
  attempt: 1,
  parentId: null,
  rootId: "01JGJ4Z8M2W9T3V6X0Y5Q7R8S1",
  workerId: "worker-1a2b3c4d",
  at: AT,
};

function event(type: JobEventType, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type, ...envelope, data: SAMPLE_DATA[type], ...overrides };
}

function withoutKey(value: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([name]) => name !== key));
}

describe("job events", () => {
  it("has a sample for every event type the contract lists", () => {
    expect(Object.keys(SAMPLE_DATA).sort()).toEqual([...JOB_EVENT_TYPES].sort());
  });

  it.each(JOB_EVENT_TYPES)("parses a valid %s event with both schemas, keeping its data", (type) => {
    const input = event(type, { tags: { tenant: "acme" } });
    expect(jobEventSchema.parse(input)).toEqual(input);
    expect(statusEventSchema.parse(input)).toEqual(input);
  });

  it("survives the JSON round trip through the status stream field", () => {
    const encoded = JSON.stringify({ [STATUS_EVENT_FIELD]: event("completed") });
    const decoded = JSON.parse(encoded) as Record<string, unknown>;
    expect(statusEventSchema.parse(decoded[STATUS_EVENT_FIELD])).toEqual(event("completed"));
  });

  it("accepts a root job (no parent) without a worker, and a child job", () => {
    expect(jobEventSchema.safeParse(event("queued", { parentId: null, workerId: null })).success).toBe(true);
    expect(
      jobEventSchema.safeParse(event("started", { parentId: "01JGJ4Z8M2W9T3V6X0Y5Q7R8S0" })).success,
    ).toBe(true);
  });

  it("accepts a queued event of a promoted job without the creation fields", () => {
    expect(jobEventSchema.safeParse(event("queued", { data: { from: "scheduled" } })).success).toBe(true);
    expect(jobEventSchema.safeParse(event("queued", { data: { from: "elsewhere" } })).success).toBe(false);
  });

  it.each(["type", "jobId", "function", "attempt", "parentId", "rootId", "workerId", "at", "data"])(
    "rejects an event without %s",
    (key) => {
      const input = withoutKey(event("completed"), key);
      expect(jobEventSchema.safeParse(input).success).toBe(false);
      expect(statusEventSchema.safeParse(input).success).toBe(false);
    },
  );

  it.each([
    ["jobId", 42],
    ["jobId", ""],
    ["function", ""],
    ["attempt", "1"],
    ["attempt", 1.5],
    ["attempt", -1],
    ["at", "2025-01-01T00:00:00Z"],
    ["at", -1],
    ["at", 1.5],
    ["parentId", ""],
    ["rootId", null],
    ["workerId", 7],
    ["tags", { tenant: 1 }],
    ["tags", "acme"],
  ])("rejects %s = %j", (key, value) => {
    const input = event("completed", { [key]: value });
    expect(jobEventSchema.safeParse(input).success).toBe(false);
    expect(statusEventSchema.safeParse(input).success).toBe(false);
  });

  it("accepts attempt 0 (a job that has not started yet)", () => {
    expect(jobEventSchema.safeParse(event("queued", { attempt: 0 })).success).toBe(true);
  });

  it.each(["exploded", "Completed", "", "worker.exploded"])("rejects the unknown type %j", (type) => {
    const input = { ...event("completed"), type };
    expect(jobEventSchema.safeParse(input).success).toBe(false);
    expect(statusEventSchema.safeParse(input).success).toBe(false);
  });

  it("rejects data that belongs to another event type", () => {
    expect(jobEventSchema.safeParse(event("completed", { data: SAMPLE_DATA.progress })).success).toBe(false);
    expect(jobEventSchema.safeParse(event("failed", { data: SAMPLE_DATA.completed })).success).toBe(false);
  });

  it.each([1.01, 2, -0.01, Number.NaN, "0.5"])("rejects progress %j", (progress) => {
    const input = event("progress", { data: { ...SAMPLE_DATA.progress, progress } });
    expect(jobEventSchema.safeParse(input).success).toBe(false);
  });

  it("accepts progress at both ends of [0, 1]", () => {
    for (const progress of [0, 1]) {
      expect(jobEventSchema.safeParse(event("progress", { data: { progress } })).success).toBe(true);
    }
  });

  it.each([
    ["started", { ...SAMPLE_DATA.started, deliveries: 0 }],
    ["retrying", { ...SAMPLE_DATA.retrying, nextAttempt: 1 }],
    ["retrying", { ...SAMPLE_DATA.retrying, reason: "bad luck" }],
    ["failed", { ...SAMPLE_DATA.failed, error: { message: "no name" } }],
    ["cancelled", { ...SAMPLE_DATA.cancelled, previous: "gone" }],
    ["log", { ...SAMPLE_DATA.log, level: "fatal" }],
    ["metric", { ...SAMPLE_DATA.metric, name: "" }],
    ["checkpoint", { ...SAMPLE_DATA.checkpoint, version: 0 }],
    ["scheduled", { ...SAMPLE_DATA.scheduled, maxAttempts: 0 }],
    ["dead-lettered", { ...SAMPLE_DATA["dead-lettered"], attempts: -1 }],
  ] as const)("rejects an invalid %s payload %j", (type, data) => {
    expect(jobEventSchema.safeParse(event(type, { data })).success).toBe(false);
  });
});

describe("worker events", () => {
  const workerEvents = [
    {
      type: "worker.started",
      workerId: "worker-1a2b3c4d",
      at: AT,
      data: {
        id: "worker-1a2b3c4d",
        name: "worker",
        host: "box-1",
        pid: 4242,
        functions: ["send-email", "resize-image"],
        concurrency: 10,
        startedAt: AT,
      },
    },
    {
      type: "worker.heartbeat",
      workerId: "worker-1a2b3c4d",
      at: AT + 10_000,
      data: { active: 3, held: 5, completed: 120, failed: 2 },
    },
    {
      type: "worker.stopped",
      workerId: "worker-1a2b3c4d",
      at: AT + 20_000,
      data: { reason: "SIGTERM", handedBack: 2 },
    },
  ];

  it.each(workerEvents)("parses a valid $type event", (input) => {
    expect(workerEventSchema.parse(input)).toEqual(input);
    expect(statusEventSchema.parse(input)).toEqual(input);
  });

  it("is not a job event", () => {
    for (const input of workerEvents) expect(jobEventSchema.safeParse(input).success).toBe(false);
  });

  it.each([
    ["no workerId", { ...workerEvents[1], workerId: undefined }],
    [
      "a negative active count",
      { ...workerEvents[1], data: { active: -1, held: 0, completed: 0, failed: 0 } },
    ],
    ["a missing handedBack", { ...workerEvents[2], data: { reason: "SIGTERM" } }],
    ["a concurrency of 0", { ...workerEvents[0], data: { ...workerEvents[0]?.data, concurrency: 0 } }],
  ])("rejects a worker event with %s", (_label, input) => {
    expect(workerEventSchema.safeParse(input).success).toBe(false);
    expect(statusEventSchema.safeParse(input).success).toBe(false);
  });
});

describe("event.sent (namespace event)", () => {
  const sent = {
    type: "event.sent",
    at: AT,
    data: {
      event: "order.placed",
      eventId: "01JGJ4Z8M2W9T3V6X0Y5Q7R8S9",
      payload: { orderId: "o-1" },
      delivered: 2,
      jobIds: ["01JGJ4Z8M2W9T3V6X0Y5Q7R8SA", "01JGJ4Z8M2W9T3V6X0Y5Q7R8SB"],
    },
  };

  it.each([
    ["from outside a job, without a worker", sent],
    ["with an idempotency key", { ...sent, data: { ...sent.data, idempotencyKey: "order-1" } }],
    ["with no subscriber", { ...sent, data: { ...sent.data, delivered: 0, jobIds: [] } }],
    [
      "from inside a job on a worker",
      { ...sent, workerId: "worker-1a2b3c4d", parentId: envelope.jobId, rootId: envelope.rootId },
    ],
    ["with a null worker", { ...sent, workerId: null }],
  ])("parses an event sent %s", (_label, input) => {
    expect(eventSentSchema.parse(input)).toEqual(input);
    expect(statusEventSchema.parse(input)).toEqual(input);
  });

  it("is neither a job event nor a worker event", () => {
    expect(jobEventSchema.safeParse(sent).success).toBe(false);
    expect(workerEventSchema.safeParse(sent).success).toBe(false);
  });

  it.each([
    ["no event name", { ...sent, data: { ...sent.data, event: "" } }],
    ["a negative delivered count", { ...sent, data: { ...sent.data, delivered: -1 } }],
    ["no job ids", { ...sent, data: { ...sent.data, jobIds: undefined } }],
    ["an empty idempotency key", { ...sent, data: { ...sent.data, idempotencyKey: "" } }],
    ["no eventId", { ...sent, data: { ...sent.data, eventId: undefined } }],
    ["no time", { ...sent, at: undefined }],
    ["an empty parent id", { ...sent, parentId: "" }],
  ])("rejects an event.sent with %s", (_label, input) => {
    expect(eventSentSchema.safeParse(input).success).toBe(false);
    expect(statusEventSchema.safeParse(input).success).toBe(false);
  });
});
