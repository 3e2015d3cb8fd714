import { describe, expect, it } from "vitest";
import { barOf, buildTimelineTree, timeDomain, visibleRows } from "../../src/pages/job/timeline-model.js";
import { T0 } from "../live/job-events.js";
import { row } from "../live/job-rows.js";

const at = (seconds: number) => new Date(T0 + seconds * 1_000).toISOString();

describe("buildTimelineTree", () => {
  it("lists the tree depth first, children in creation order", () => {
    const tree = buildTimelineTree(
      [
        row("root", { createdAt: at(0) }),
        row("a", { parentId: "root", rootId: "root", createdAt: at(1) }),
        row("b", { parentId: "root", rootId: "root", createdAt: at(2) }),
        row("a1", { parentId: "a", rootId: "root", createdAt: at(3) }),
      ],
      "root",
    );
    expect(tree.rows.map((entry) => `${entry.job.id}@${entry.depth}`)).toEqual([
      "root@0",
      "a@1",
      "a1@2",
      "b@1",
    ]);
    expect(tree.byId.get("root")?.childCount).toBe(2);
  });

  it("hangs a job whose parent is missing under the root", () => {
    const tree = buildTimelineTree(
      [row("root"), row("orphan", { parentId: "deleted", rootId: "root" })],
      "root",
    );
    expect(tree.rows.map((entry) => [entry.job.id, entry.depth])).toEqual([
      ["root", 0],
      ["orphan", 1],
    ]);
  });

  it("keeps jobs caught in a parent cycle instead of losing them", () => {
    const tree = buildTimelineTree(
      [row("root"), row("x", { parentId: "y", rootId: "root" }), row("y", { parentId: "x", rootId: "root" })],
      "root",
    );
    expect(tree.rows.map((entry) => entry.job.id).sort()).toEqual(["root", "x", "y"]);
  });

  it("builds a 10,000-deep chain without overflowing the stack", () => {
    const jobs = [row("j0", { createdAt: at(0) })];
    for (let index = 1; index < 10_000; index++) {
      jobs.push(row(`j${index}`, { parentId: `j${index - 1}`, rootId: "j0", createdAt: at(index) }));
    }
    const tree = buildTimelineTree(jobs, "j0");
    expect(tree.rows).toHaveLength(10_000);
    expect(tree.rows.at(-1)?.depth).toBe(9_999);
  });

  it("hides a collapsed row's descendants and nothing else", () => {
    const tree = buildTimelineTree(
      [
        row("root", { createdAt: at(0) }),
        row("a", { parentId: "root", rootId: "root", createdAt: at(1) }),
        row("a1", { parentId: "a", rootId: "root", createdAt: at(2) }),
        row("a1x", { parentId: "a1", rootId: "root", createdAt: at(3) }),
        row("b", { parentId: "root", rootId: "root", createdAt: at(4) }),
      ],
      "root",
    );
    expect(visibleRows(tree, new Set(["a"])).map((entry) => entry.job.id)).toEqual(["root", "a", "b"]);
    expect(visibleRows(tree, new Set()).length).toBe(5);
  });
});

describe("bars", () => {
  it("place jobs on one axis, running jobs up to now, always visible and inside the axis", () => {
    const now = T0 + 100_000;
    const jobs = [
      row("root", { createdAt: at(0), startedAt: at(0), finishedAt: at(50) }),
      row("running", { createdAt: at(10), startedAt: at(20), finishedAt: null }),
      row("instant", { createdAt: at(30), startedAt: at(30), finishedAt: at(30) }),
    ];
    const domain = timeDomain(jobs, now);
    expect(domain).toEqual({ start: T0, end: now });
    const [root, running, instant] = jobs.map((job) => barOf(job, domain, now));
    expect(root).toEqual({ left: 0, width: 50 });
    expect(running).toEqual({ left: 20, width: 80 });
    expect(instant?.width).toBeGreaterThan(0);
    for (const bar of [root, running, instant]) {
      expect((bar?.left ?? 0) + (bar?.width ?? 0)).toBeLessThanOrEqual(100);
    }
  });
});
