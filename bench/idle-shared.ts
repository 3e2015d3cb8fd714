/** What the idle workload's parent (idle.ts) and its children (idle-child.ts) share. */

export interface IdleChildSpec {
  readonly role: "fleet" | "victim";
  readonly redisUrl: string;
  readonly namespace: string;
  readonly workers: number;
  readonly functions: number;
  readonly leaseMs: number;
}

export type IdleMessage =
  | { readonly type: "ready" }
  | { readonly type: "cpu"; readonly cpuS: number }
  | { readonly type: "started"; readonly jobId: string }
  | { readonly type: "stopped" }
  | { readonly type: "error"; readonly message: string };

export const VICTIM_TASK = "victim";
