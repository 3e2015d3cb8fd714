// CommonJS: require("upnext") loads the ES module through Node's require(esm) (Node 20.19+, 22.12+).
const { Worker } = require("upnext");
const { z } = require("zod");

async function main() {
  const worker = new Worker({ name: "commonjs" });
  const double = worker.task("double", { input: z.object({ n: z.number() }) }, ({ n }) => ({
    doubled: n * 2,
  }));
  await worker.start();
  const job = await double.submit({ n: 21 });
  const { doubled } = await job.result({ timeout: "30s" });
  console.log(`doubled ${doubled}`);
  await worker.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
