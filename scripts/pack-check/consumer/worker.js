// An entry file for `upnext run worker.js` / `upnext call worker.js`.
import { Worker } from "upnext";
import { z } from "zod";

export const worker = new Worker({ name: "cli" });

export const shout = worker.task("shout", { input: z.object({ text: z.string() }) }, ({ text }) => ({
  text: text.toUpperCase(),
}));
