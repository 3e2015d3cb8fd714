// Type-checked (never run) under the strictest settings, with moduleResolution node16 and bundler.
import { Worker, type JobRef } from "upnext";
import { z } from "zod";

const worker = new Worker({ name: "typed" });

const resize = worker.task(
  "resize",
  { input: z.object({ url: z.url(), width: z.number().int().positive() }), retries: 3, timeout: "1m" },
  async ({ url, width }, ctx) => {
    ctx.progress(0.5);
    return { url, width, bytes: width * 10 };
  },
);

export async function submitAndRead(): Promise<number> {
  const job: JobRef<{ url: string; width: number; bytes: number }> = await resize.submit({
    url: "https://example.com/a.png",
    width: 640,
  });
  const result = await job.result({ timeout: "30s" });
  const bytes: number = result.bytes;
  // @ts-expect-error: the schema says width is a number, so a string is a compile error.
  await resize.submit({ url: "https://example.com/a.png", width: "640" });
  // @ts-expect-error: the result has no such field.
  void result.height;
  return bytes;
}
