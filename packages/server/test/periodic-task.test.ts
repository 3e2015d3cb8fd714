/**
 * The timer loop behind retention, alerts, artifact housekeeping and live snapshots: never two
 * runs at once, stop() waits for the running run, a failed run does not end the loop, and a
 * stop() and start() during a run leave no timer behind the next stop().
 */
import { afterEach, describe, expect, it } from "vitest";
import { PeriodicTask } from "../src/lib/periodic-task.js";
import { eventually } from "../../upnext/test/helpers/redis.js";
import { deferred } from "../../upnext/test/helpers/worker.js";

const INTERVAL_MS = 5;

/** A run that records how many runs overlap and, when `gate` is set, waits for it. */
function probe() {
  const state = { runs: 0, inFlight: 0, maxInFlight: 0, gate: undefined as Promise<void> | undefined };
  const run = async (): Promise<number> => {
    state.runs += 1;
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    await (state.gate ?? new Promise((resolve) => setImmediate(resolve)));
    state.inFlight -= 1;
    return state.runs;
  };
  return { state, run };
}

describe("PeriodicTask", () => {
  const tasks: PeriodicTask<unknown>[] = [];
  afterEach(async () => {
    await Promise.all(tasks.splice(0).map((task) => task.stop()));
  });
  function track<T>(task: PeriodicTask<T>): PeriodicTask<T> {
    tasks.push(task);
    return task;
  }

  /** A task on a short timer whose first run is held until `release()`; resolves once it runs. */
  async function heldFirstRun() {
    const { state, run } = probe();
    const gate = deferred();
    state.gate = gate.promise;
    const task = track(new PeriodicTask({ run, intervalMs: INTERVAL_MS, onError: () => undefined }));
    task.start(0);
    await eventually(() => state.inFlight === 1, "the first run to start");
    const release = (): void => {
      state.gate = undefined;
      gate.resolve();
    };
    return { state, task, release };
  }

  /** Several intervals pass without a run: no timer is left. */
  async function expectNoMoreRuns(state: { runs: number }): Promise<void> {
    const runsAtStop = state.runs;
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 4));
    expect(state.runs).toBe(runsAtStop);
  }

  it("runs on its timer one run at a time, also with runs asked for by hand", async () => {
    const { state, run } = probe();
    const task = track(new PeriodicTask({ run, intervalMs: INTERVAL_MS, onError: () => undefined }));
    task.start(0);
    await Promise.all([task.runNow(), task.runNow(), task.runNow()]);
    await eventually(() => state.runs >= 10, "ten runs");
    expect(state.maxInFlight).toBe(1);
  });

  it("stop() resolves only once the running run is over, and no run starts after it", async () => {
    const { state, task, release } = await heldFirstRun();
    let stopped = false;
    const stopping = task.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 4));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(state.inFlight).toBe(0);
    await expectNoMoreRuns(state);
  });

  it("keeps running after a failed run, which goes to onError; runNow() hands its error to the caller", async () => {
    const errors: unknown[] = [];
    let calls = 0;
    // Odd runs fail while the timer runs; the manual run after stop() fails whatever the count
    // reached by then (five or more, depending on how fast the polling saw it).
    let fails = (call: number): boolean => call % 2 === 1;
    const task = track(
      new PeriodicTask({
        run: () => {
          calls += 1;
          return fails(calls) ? Promise.reject(new Error(`run ${calls} failed`)) : Promise.resolve(calls);
        },
        intervalMs: INTERVAL_MS,
        onError: (error) => errors.push(error),
      }),
    );
    task.start(0);
    await eventually(() => calls >= 5, "five runs");
    expect(errors.length).toBeGreaterThanOrEqual(2);
    await task.stop();
    fails = () => true;
    const manual = task.runNow();
    await expect(manual).rejects.toThrow(/failed/);
  });

  it("a stop() and start() during a run leave one timer, which the next stop() ends", async () => {
    const { state, task, release } = await heldFirstRun();
    void task.stop();
    task.start();
    release();
    await eventually(() => state.runs >= 5, "five runs");
    await task.stop();
    // A second timer, lost to stop(), would run once more.
    await expectNoMoreRuns(state);
  });
});
