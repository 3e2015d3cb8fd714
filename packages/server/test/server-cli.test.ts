import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "../../upnext/test/helpers/cli.js";
import { eventually } from "../../upnext/test/helpers/redis.js";
import type { ServerPackage } from "../../upnext/src/cli/server-command.js";
import * as serverPackage from "../src/index.js";
import type { HistoryDatabase } from "../src/store/database.js";
import { testNamespace } from "./helpers/app.js";

// The CLI describes what it loads of this package instead of importing its types (upnext does
// not depend on @upnext/server); this fails to compile when the two drift apart.
const _cliSeesThisPackage: ServerPackage<HistoryDatabase> = serverPackage;

const dir = mkdtempSync(join(tmpdir(), "upnext-server-cli-"));
const env = {
  UPNEXT_DATABASE_URL: `sqlite:${join(dir, "history.db")}`,
  UPNEXT_NAMESPACE: testNamespace("cli"),
  UPNEXT_ARTIFACTS_DIR: join(dir, "artifacts"),
};

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Each test starts the CLI (TypeScript compiled on load by tsx) one to four times in a row: on a
// loaded machine that alone can pass the default 30 s, so the wait is the file's, not a measure.
describe("upnext server", { timeout: 120_000 }, () => {
  it("reports pending migrations, applies them once, then reports up to date", async () => {
    const before = await runCli(["server", "db", "status"], env);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/pending\s+0001-jobs/);
    expect(before.stdout).toMatch(/\d+ pending: run 'upnext server db migrate'/);

    const migrated = await runCli(["server", "db", "migrate"], env);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(/applied 0001-jobs/);
    const again = await runCli(["server", "db", "migrate"], env);
    expect(again.stdout).toMatch(/up to date/);

    const after = await runCli(["server", "db", "status"], env);
    expect(after.stdout).not.toMatch(/pending\s/);
    expect(after.stdout).toMatch(/up to date/);
  });

  it("serves until SIGTERM, then stops gracefully with code 0", async () => {
    const server = spawnCli(["server", "start", "--port", "0"], env);
    const url = await eventually(
      () => /listening on (http:\/\/\S+) /.exec(server.stdout())?.[1],
      "the server to listen",
    );
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    server.child.kill("SIGTERM");
    const finished = await server.exited;
    expect(finished.code).toBe(0);
  });

  it("refuses a public address without a token, and a bad port, with exit code 2", async () => {
    const open = await runCli(["server", "start", "--host", "0.0.0.0", "--port", "0"], env);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/UPNEXT_API_TOKEN/);
    const port = await runCli(["server", "start", "--port", "http"], env);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port "http" is not a port/);
  });

  it("stops with a message naming the variable when the database URL is invalid", async () => {
    const bad = await runCli(["server", "db", "status"], { ...env, UPNEXT_DATABASE_URL: "mysql://nope" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/UPNEXT_DATABASE_URL/);
  });
});
