import { describe, expect, it } from "vitest";
import { type JobOrigin, jobKindOf, jobOriginSchema } from "../src/index.js";

const ORIGINS: { [K in JobOrigin["kind"]]: Extract<JobOrigin, { kind: K }> } = {
  cron: { kind: "cron", schedule: "nightly", scheduledFor: 1_767_225_600_000, catchUp: false },
  event: { kind: "event", event: "order.paid", eventId: "01JGJ4Z8M2W9T3V6X0Y5Q7R8S0" },
  replay: { kind: "replay", replayOf: "01JGJ4Z8M2W9T3V6X0Y5Q7R8S1" },
  retry: { kind: "retry", retryOf: "01JGJ4Z8M2W9T3V6X0Y5Q7R8S2" },
};

describe("job origins", () => {
  it("accepts every origin kind on the wire, as sent", () => {
    for (const origin of Object.values(ORIGINS)) expect(jobOriginSchema.parse(origin)).toEqual(origin);
  });

  it("refuses a retry origin without the id it retries", () => {
    expect(jobOriginSchema.safeParse({ kind: "retry" }).success).toBe(false);
    expect(jobOriginSchema.safeParse({ kind: "retry", retryOf: "" }).success).toBe(false);
    expect(jobOriginSchema.safeParse({ kind: "retry", replayOf: "01J" }).success).toBe(false);
  });

  it("lists a retry from the history under the re-run kind replay", () => {
    expect(jobKindOf(null)).toBe("task");
    expect(jobKindOf(undefined)).toBe("task");
    expect(jobKindOf(ORIGINS.cron)).toBe("cron");
    expect(jobKindOf(ORIGINS.event)).toBe("event");
    expect(jobKindOf(ORIGINS.replay)).toBe("replay");
    expect(jobKindOf(ORIGINS.retry)).toBe("replay");
  });
});
