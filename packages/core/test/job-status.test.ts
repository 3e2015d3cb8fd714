import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IllegalTransitionError,
  INITIAL_STATUSES,
  JOB_STATUSES,
  type JobStatus,
  TERMINAL_STATUSES,
  TRANSITIONS,
  assertTransition,
  canTransition,
  isJobStatus,
  isTerminal,
  transitionTableLua,
} from "../src/index.js";
import { catchError } from "./catch-error.js";

const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";

const ALL_PAIRS: [JobStatus, JobStatus][] = JOB_STATUSES.flatMap((from) =>
  JOB_STATUSES.map((to): [JobStatus, JobStatus] => [from, to]),
);

/**
 * Written out by hand, independently of TRANSITIONS, so an accidental edit of the table
 * fails here instead of silently changing what the Redis scripts allow.
 */
const EXPECTED_LEGAL = new Set([
  "waiting->queued",
  "waiting->scheduled",
  "waiting->failed",
  "waiting->cancelled",
  "scheduled->queued",
  "scheduled->cancelled",
  "queued->active",
  "queued->scheduled",
  "queued->cancelled",
  "queued->failed",
  "active->complete",
  "active->failed",
  "active->cancelled",
  "active->retrying",
  "active->queued",
  "retrying->queued",
  "retrying->cancelled",
]);

describe("the transition table", () => {
  it("has a row for every status and only names known statuses", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...JOB_STATUSES].sort());
    for (const targets of Object.values(TRANSITIONS)) {
      for (const to of targets) expect(isJobStatus(to)).toBe(true);
    }
  });

  it("allows exactly the documented moves", () => {
    const legal = ALL_PAIRS.filter(([from, to]) => canTransition(from, to)).map(([f, t]) => `${f}->${t}`);
    expect(new Set(legal)).toEqual(EXPECTED_LEGAL);
  });

  it("never lets a job stay where it is through a transition", () => {
    for (const status of JOB_STATUSES) expect(canTransition(status, status)).toBe(false);
  });

  it("gives terminal states no way out", () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(["cancelled", "complete", "failed"]);
    for (const from of TERMINAL_STATUSES) {
      expect(isTerminal(from)).toBe(true);
      expect(TRANSITIONS[from]).toEqual([]);
      for (const to of JOB_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
    for (const status of JOB_STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s))) {
      expect(isTerminal(status)).toBe(false);
    }
  });

  it("lets every non-terminal state be cancelled", () => {
    for (const status of JOB_STATUSES.filter((s) => !isTerminal(s))) {
      expect(canTransition(status, "cancelled")).toBe(true);
    }
  });

  it("reaches every state from a state a job can be created in", () => {
    const reached = new Set<JobStatus>(INITIAL_STATUSES);
    for (let grew = true; grew;) {
      grew = false;
      for (const from of [...reached]) {
        for (const to of TRANSITIONS[from]) {
          if (!reached.has(to)) {
            reached.add(to);
            grew = true;
          }
        }
      }
    }
    expect([...reached].sort()).toEqual([...JOB_STATUSES].sort());
  });
});

describe("assertTransition", () => {
  it.each(ALL_PAIRS.filter(([from, to]) => EXPECTED_LEGAL.has(`${from}->${to}`)))(
    "allows %s -> %s",
    (from, to) => {
      expect(() => {
        assertTransition(from, to);
      }).not.toThrow();
    },
  );

  it.each(ALL_PAIRS.filter(([from, to]) => !EXPECTED_LEGAL.has(`${from}->${to}`)))(
    "refuses %s -> %s",
    (from, to) => {
      const error = catchError(IllegalTransitionError, () => {
        assertTransition(from, to);
      });
      expect(error.from).toBe(from);
      expect(error.to).toBe(to);
      expect(error.code).toBe("illegal_transition");
      expect(error.name).toBe("IllegalTransitionError");
      expect(error.message).toContain(`'${from}' to '${to}'`);
    },
  );

  it("lists the legal next states in the message, or says the state is terminal", () => {
    expect(
      catchError(IllegalTransitionError, () => {
        assertTransition("scheduled", "active");
      }).message,
    ).toContain("legal next states: queued, cancelled");
    expect(
      catchError(IllegalTransitionError, () => {
        assertTransition("complete", "queued");
      }).message,
    ).toContain("none (terminal)");
  });
});

describe("isJobStatus", () => {
  it("accepts the statuses and nothing else", () => {
    for (const status of JOB_STATUSES) expect(isJobStatus(status)).toBe(true);
    for (const value of ["", "Queued", "done", "constructor", "toString", 1, null, undefined, {}]) {
      expect(isJobStatus(value)).toBe(false);
    }
  });
});

describe("transitionTableLua in Redis", () => {
  let redis: Redis;

  beforeAll(() => {
    // Fail fast with a clear error instead of queueing commands while Redis is unreachable.
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  });

  afterAll(async () => {
    await redis.quit();
  });

  /** Every (from, to) pair of `statuses`, row by row, answered by the Lua `upnext_can` as 1/0. */
  async function luaAnswers(statuses: readonly string[]): Promise<number[]> {
    // Lua `false` becomes a nil reply, which would cut the returned array short; map to 1/0.
    const script = `${transitionTableLua()}
local out = {}
for i = 1, #ARGV do
  for j = 1, #ARGV do
    out[#out + 1] = upnext_can(ARGV[i], ARGV[j]) and 1 or 0
  end
end
return out`;
    const reply = await redis.eval(script, 0, ...statuses);
    if (!Array.isArray(reply)) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
    return reply.map(Number);
  }

  it("agrees with canTransition for every pair of statuses", async () => {
    const answers = await luaAnswers(JOB_STATUSES);
    expect(answers).toHaveLength(ALL_PAIRS.length);
    const lua = ALL_PAIRS.map(
      ([from, to], index) => `${from}->${to}: ${answers[index] === 1 ? "yes" : "no"}`,
    );
    const ts = ALL_PAIRS.map(([from, to]) => `${from}->${to}: ${canTransition(from, to) ? "yes" : "no"}`);
    expect(lua).toEqual(ts);
    expect(answers.filter((answer) => answer === 1)).toHaveLength(EXPECTED_LEGAL.size);
  });

  it("refuses moves from or to a status it does not know", async () => {
    const statuses = [...JOB_STATUSES, "bogus", "QUEUED", ""];
    const answers = await luaAnswers(statuses);
    statuses.forEach((from, i) => {
      statuses.forEach((to, j) => {
        const expected = isJobStatus(from) && isJobStatus(to) && canTransition(from, to) ? 1 : 0;
        expect(answers[i * statuses.length + j], `${from} -> ${to}`).toBe(expected);
      });
    });
  });

  it("defines only locals, so it can be prepended to any script", () => {
    const lua = transitionTableLua();
    for (const line of lua.split("\n")) expect(line).toMatch(/^local /);
  });
});
