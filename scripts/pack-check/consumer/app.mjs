// The README's Quick start as a user runs it: plain `node app.mjs`, no loader.
import { Worker } from "upnext";
import { z } from "zod";

const worker = new Worker({ name: "quickstart" });

const greet = worker.task(
  "greet",
  { input: z.object({ name: z.string() }), retries: 2, timeout: "10s" },
  ({ name }, ctx) => {
    ctx.log("info", `greeting ${name}`);
    return { greeting: `Hello, ${name}!` };
  },
);

await worker.start();

const job = await greet.submit({ name: "Ada" });
const { greeting } = await job.result({ timeout: "30s" });
console.log(greeting);

await worker.stop();
