// The same task as worker.js, as TypeScript: `upnext call worker.ts` loads it through tsx or Node's
// type stripping, or says what to install.
import { Worker } from "upnext";
import { z } from "zod";

export const worker: Worker = new Worker({ name: "cli" });

const input = z.object({ text: z.string() });

export const shout = worker.task("shout", { input }, ({ text }: z.infer<typeof input>) => ({
  text: text.toUpperCase(),
}));
