/**
 * How busy the whole machine was over a measured window, from `os.cpus()` tick counters: the
 * worker's and Redis's own CPU say what a system cost, this says what else competed with it.
 */
import os from "node:os";

export interface CpuTicks {
  readonly busyMs: number;
  readonly totalMs: number;
}

export function cpuTicks(): CpuTicks {
  let busyMs = 0;
  let totalMs = 0;
  for (const cpu of os.cpus()) {
    const { user, nice, sys, irq, idle } = cpu.times;
    busyMs += user + nice + sys + irq;
    totalMs += user + nice + sys + irq + idle;
  }
  return { busyMs, totalMs };
}

/** Share (0-1) of all cores that were busy between two readings; null when no tick elapsed. */
export function busyShare(before: CpuTicks, after: CpuTicks): number | null {
  const total = after.totalMs - before.totalMs;
  return total > 0 ? Math.round(((after.busyMs - before.busyMs) / total) * 1000) / 1000 : null;
}
