import { InvalidOptionError } from "@upnext/core";
import { afterAll, describe, expect, it } from "vitest";
import type { ParentResult } from "../src/index.js";
import { DependencyResolver } from "../src/runtime/flow/dependency-resolver.js";
import { deleteNamespace, eventually, redisClient, testNamespace } from "./helpers/redis.js";
import { deferred, jobEvents, testWorker } from "./helpers/worker.js";

const namespace = testNamespace("dag");
const redis = redisClient();
const worker = testWorker(namespace, { concurrency: 8 });
const ran: string[] = [];
const gates = new Map<string, ReturnType<typeof deferred<void>>>();

function gate(label: string): ReturnType<typeof deferred<void>> {
  const existing = gates.get(label);
  if (existing) return existing;
  const created = deferred();
  gates.set(label, created);
  return created;
}

/** A step that waits for its gate, then succeeds or fails as its input says. */
const step = worker.task("step", {}, async (input: { label: string; fail?: boolean }) => {
  ran.push(input.label);
  await gate(input.label).promise;
  if (input.fail) throw new Error(`${input.label} failed`);
  return `${input.label} done`;
});

const seenParents = new Map<string, ParentResult[]>();
const join = worker.task("join", {}, async (input: { label: string }, ctx) => {
  ran.push(input.label);
  seenParents.set(input.label, await ctx.parents());
  return `${input.label} joined`;
});

afterAll(async () => {
  for (const pending of gates.values()) pending.resolve();
  await worker.stop();
  await deleteNamespace(redis, namespace);
  redis.disconnect();
});

/** A → B, C → D, with B failing when asked. */
async function diamond(tag: string, policy: "fail" | "skip" | "continue", bFails: boolean) {
  const a = await step.submit({ label: `${tag}-a` });
  const b = await step.submit({ label: `${tag}-b`, fail: bFails }, { dependsOn: [a] });
  const c = await step.submit({ label: `${tag}-c` }, { dependsOn: [a.id] });
  const d = await join.submit({ label: `${tag}-d` }, { dependsOn: [b, c], onParentFailure: policy });
  return { a, b, c, d };
}

describe("DAG dependencies", () => {
  it("runs a diamond in order; the join reads its parents' results", async () => {
    await worker.start();
    const { a, b, c, d } = await diamond("ok", "fail", false);
    expect((await b.status()).status).toBe("waiting");
    expect((await d.status()).status).toBe("waiting");
    await eventually(() => ran.includes("ok-a"), "a started");
    expect(ran.includes("ok-b") || ran.includes("ok-c")).toBe(false);
    gate("ok-a").resolve();
    await eventually(() => ran.includes("ok-b") && ran.includes("ok-c"), "b and c started");
    expect(ran.includes("ok-d")).toBe(false);
    gate("ok-b").resolve();
    await b.result({ timeout: "5s" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ran.includes("ok-d")).toBe(false); // still waiting for c
    gate("ok-c").resolve();
    expect(await d.result({ timeout: "5s" })).toBe("ok-d joined");
    expect(seenParents.get("ok-d")).toEqual([
      { id: b.id, function: "step", status: "complete", result: "ok-b done" },
      { id: c.id, function: "step", status: "complete", result: "ok-c done" },
    ]);
    expect(await a.result()).toBe("ok-a done");
    const types = (await jobEvents(redis, namespace, d.id)).map((event) => event.type);
    expect(types.slice(0, 2)).toEqual(["waiting", "queued"]);
  });

  it('onParentFailure "fail": the join fails with reason dependency_failed and never runs', async () => {
    const { d } = await diamond("fail", "fail", true);
    for (const label of ["fail-a", "fail-b", "fail-c"]) gate(label).resolve();
    await expect(d.result({ timeout: "5s" })).rejects.toThrow(/dependency_failed|ended failed/);
    const snapshot = await d.status();
    expect(snapshot.status).toBe("failed");
    expect(snapshot.failureReason).toBe("dependency_failed");
    expect(ran).not.toContain("fail-d");
  });

  it('onParentFailure "skip": the join is cancelled as skipped and never runs', async () => {
    const { d } = await diamond("skip", "skip", true);
    for (const label of ["skip-a", "skip-b", "skip-c"]) gate(label).resolve();
    const snapshot = await eventually(async () => {
      const current = await d.status();
      return current.status === "cancelled" ? current : undefined;
    }, "join skipped");
    expect(snapshot.cancelReason).toMatch(/^skipped: parent/);
    expect(ran).not.toContain("skip-d");
  });

  it('onParentFailure "continue": the join runs once every parent ended and sees the failure', async () => {
    const { b, d } = await diamond("cont", "continue", true);
    for (const label of ["cont-a", "cont-b", "cont-c"]) gate(label).resolve();
    expect(await d.result({ timeout: "5s" })).toBe("cont-d joined");
    const parents = seenParents.get("cont-d") ?? [];
    expect(parents.find((parent) => parent.id === b.id)).toMatchObject({
      status: "failed",
      error: { message: "cont-b failed" },
    });
  });

  it("a parent that already ended releases the child at once; a missing parent is a clear error", async () => {
    gate("early").resolve();
    const done = await step.submit({ label: "early" });
    await done.result({ timeout: "5s" });
    const child = await join.submit({ label: "late-child" }, { dependsOn: [done] });
    expect(await child.result({ timeout: "5s" })).toBe("late-child joined");
    const error = await join
      .submit({ label: "orphan" }, { dependsOn: ["01HZZZZZZZZZZZZZZZZZZZZZZZ"] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe("dependsOn");
  });

  it("cancelling a parent settles its waiting children per their policy, transitively", async () => {
    const root = await step.submit({ label: "cancel-root" }, { delay: "1h" });
    const middle = await join.submit({ label: "cancel-middle" }, { dependsOn: [root] });
    const leaf = await join.submit(
      { label: "cancel-leaf" },
      { dependsOn: [middle], onParentFailure: "skip" },
    );
    expect(await root.cancel()).toBe(true);
    expect((await middle.status()).failureReason).toBe("dependency_failed");
    const leafState = await leaf.status();
    expect(leafState.status).toBe("cancelled");
    expect(ran).not.toContain("cancel-middle");
  });

  it("many-to-many: one parent releases several children, a child waits for several parents", async () => {
    const p1 = await step.submit({ label: "m-p1" });
    const p2 = await step.submit({ label: "m-p2" });
    const children = await Promise.all(
      ["m-c1", "m-c2", "m-c3"].map((label) => join.submit({ label }, { dependsOn: [p1, p2] })),
    );
    gate("m-p1").resolve();
    gate("m-p2").resolve();
    expect(await Promise.all(children.map((ref) => ref.result({ timeout: "5s" })))).toEqual([
      "m-c1 joined",
      "m-c2 joined",
      "m-c3 joined",
    ]);
  });

  it("the reconciler releases a child whose resolution was lost (the finishing process died)", async () => {
    const parent = await step.submit({ label: "lost-parent" }, { delay: "1h" });
    const child = await join.submit({ label: "lost-child" }, { dependsOn: [parent] });
    // The parent ends without anyone resolving its children, as if its worker died right after.
    await redis.hset(`${namespace}:{step}:job:${parent.id}`, "status", "complete", "result", '"by hand"');
    await redis.zrem(`${namespace}:{step}:scheduled`, parent.id);
    const connection = worker.connection;
    const resolver = new DependencyResolver(
      connection.backend,
      connection.publisher,
      null,
      connection.logger,
    );
    expect(await resolver.reconcile("join", Date.now() + 60_000)).toBe(1);
    expect(await child.result({ timeout: "5s" })).toBe("lost-child joined");
  });

  it("counts a parent named twice (a ref and its id) once", async () => {
    gate("dup-parent").resolve();
    const parent = await step.submit({ label: "dup-parent" });
    const child = await join.submit({ label: "dup-child" }, { dependsOn: [parent, parent.id] });
    expect(await child.result({ timeout: "5s" })).toBe("dup-child joined");
    expect(seenParents.get("dup-child")).toHaveLength(1);
  });
});
