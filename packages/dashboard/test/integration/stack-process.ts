/**
 * A test stack in a child process (a script printing one JSON object per line): started with its
 * own namespace and SQLite file on the real Redis, asked by stdin lines, answered by the first
 * reply that has the wanted key.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { createInterface } from "node:readline";

const REDIS_URL = process.env.UPNEXT_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface StackProcess {
  send(line: string): void;
  reply<T>(key: string, timeoutMs: number): Promise<T>;
  stop(): Promise<void>;
}

export function startStackProcess(script: string, label: string): StackProcess {
  const dataDir = `/tmp/upnext-${label}-${randomBytes(4).toString("hex")}`;
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--import", "tsx", script], {
    env: {
      ...process.env,
      UPNEXT_REDIS_URL: REDIS_URL,
      UPNEXT_NAMESPACE: `${label}-${randomBytes(3).toString("hex")}`,
      UPNEXT_DATABASE_URL: `${dataDir}.db`,
      UPNEXT_ARTIFACTS_DIR: `${dataDir}-artifacts`,
      UPNEXT_LOG_LEVEL: "silent",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const replies: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      replies.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // Not one of ours (a library writing to stdout).
    }
  });
  return {
    send: (line) => {
      child.stdin.write(`${line}\n`);
    },
    reply: <T>(key: string, timeoutMs: number) =>
      new Promise<T>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const poll = () => {
          const index = replies.findIndex((reply) => key in reply || "error" in reply);
          if (index >= 0) {
            const [reply] = replies.splice(index, 1);
            if (reply !== undefined && "error" in reply) reject(new Error(String(reply.error)));
            else resolve(reply?.[key] as T);
            return;
          }
          if (Date.now() > deadline) {
            reject(new Error(`the stack did not answer ${key}; its stderr: ${stderr.slice(-2_000)}`));
            return;
          }
          setTimeout(poll, 20);
        };
        poll();
      }),
    stop: async () => {
      child.stdin.end();
      await new Promise((resolve) => {
        child.once("exit", resolve);
        setTimeout(resolve, 10_000);
      });
      await rm(`${dataDir}.db`, { force: true });
      await rm(`${dataDir}-artifacts`, { recursive: true, force: true });
    },
  };
}
