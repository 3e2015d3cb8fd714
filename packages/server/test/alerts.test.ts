/**
 * The alert rules against real history, Redis and a local webhook receiver: each rule fires
 * once (also with two replicas evaluating), stays quiet while firing, and resolves once.
 */
import { type IncomingMessage, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type JobEvent, functionKeys } from "@upnext/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AlertTransition, startAlerts } from "../src/alerts/alert-engine.js";
import type { AlertNotice } from "../src/alerts/alert-notifier.js";
import { AlertSettingsError, alertSettings } from "../src/alerts/alert-settings.js";
import { createServerMetrics } from "../src/observability/server-metrics.js";
import { writeBatch } from "../src/ingest/history-writer.js";
import type { DialectName } from "../src/store/database.js";
import { DIALECTS } from "./helpers/database.js";
import { type IngestHarness, createIngestHarness } from "./helpers/ingest.js";
import { completed, created, entryIds, failed, started } from "./helpers/status-events.js";

class WebhookReceiver {
  readonly notices: AlertNotice[] = [];
  status = 200;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const holder: { receiver?: WebhookReceiver } = {};
    const server = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const status = holder.receiver?.status ?? 500;
        if (status === 200) {
          holder.receiver?.notices.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as AlertNotice);
        }
        response.statusCode = status;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    holder.receiver = new WebhookReceiver(server);
    return holder.receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  take(): AlertNotice[] {
    return this.notices.splice(0);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

const summary = (notices: readonly AlertNotice[]) =>
  notices.map((notice) => `${notice.status} ${notice.rule} ${notice.function ?? "*"}`).sort();

describe.each(DIALECTS)("alerts on %s", (dialect: DialectName) => {
  let harness: IngestHarness;
  let receiver: WebhookReceiver;
  const now = Date.now();
  let ids = now;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    harness = await createIngestHarness(dialect, `alerts_${dialect}`, {
      env: {
        UPNEXT_ALERT_WEBHOOK_URL: receiver.url,
        UPNEXT_ALERT_FAILURE_MIN_JOBS: "4",
        UPNEXT_INVALID_EVENT_ALERT_THRESHOLD: "10",
        UPNEXT_SERVER_URL: "http://dash.example:8080",
      },
    });
  });
  afterAll(async () => {
    await harness.close();
    await receiver.close();
  });

  let jobCounter = 0;
  async function jobs(
    fn: string,
    outcome: "complete" | "failed" | "active",
    count: number,
    at: number,
    waitMs = 5,
  ) {
    const events: JobEvent[] = [];
    for (let index = 0; index < count; index++) {
      const job = { jobId: `${fn}-${process.pid}-${++jobCounter}`, function: fn };
      events.push(created(job, at), started(job, 1, at + 1, 1, waitMs));
      if (outcome === "complete") events.push(completed(job, 1, at + 2));
      if (outcome === "failed") events.push(failed(job, 1, at + 2));
    }
    ids += 1_000;
    const batch = events.map((event, index) => ({ id: entryIds(events.length, ids)[index] ?? "", event }));
    await writeBatch(harness.database.database, batch);
  }

  it("fires each rule once per function, across two replicas, and resolves each once", async () => {
    const { redis, keys, namespace } = harness;
    // failure_rate: half of billing's jobs failed.
    await jobs("billing", "complete", 5, now - 60_000);
    await jobs("billing", "failed", 5, now - 60_000);
    // queue_wait: laggy's jobs waited ten minutes.
    await jobs("laggy", "complete", 3, now - 60_000, 600_000);
    // stuck_jobs: slowpoke (1 s timeout) has a job active for ten minutes.
    await redis.sadd(keys.functions, "slowpoke", "billing");
    await redis.hset(keys.function("slowpoke"), "options", JSON.stringify({ timeoutMs: 1_000 }));
    await jobs("slowpoke", "active", 1, now - 600_000);
    // dead_letter_growth: eleven billing jobs dead-lettered just now.
    for (let index = 0; index < 11; index++) {
      await redis.zadd(functionKeys(namespace, "billing").deadLetter, now - index, `dl-${index}`);
    }
    // invalid_events: twelve invalid entries in the last minute.
    for (let index = 0; index < 12; index++) {
      await redis.xadd(keys.eventsDeadLetter, "*", "reason", "invalid_json", "entryId", `1-${index}`);
    }

    const metrics = createServerMetrics();
    const replicas = [
      startAlerts(harness.deps, { timer: false, metrics }),
      startAlerts(harness.deps, { timer: false }),
    ];
    const first = await Promise.all(replicas.map((replica) => replica.runOnce()));
    expect(summary(receiver.take())).toEqual([
      "firing dead_letter_growth billing",
      "firing failure_rate billing",
      "firing invalid_events *",
      "firing queue_wait laggy",
      "firing stuck_jobs slowpoke",
    ]);
    expect(first.flat().every((transition: AlertTransition) => transition.delivered)).toBe(true);
    // Still firing: nothing more is sent.
    await Promise.all(replicas.map((replica) => replica.runOnce()));
    expect(receiver.take()).toEqual([]);
    expect(await metrics.registry.getSingleMetricAsString("upnext_server_alerts_firing")).toContain(
      'upnext_server_alerts_firing{rule="failure_rate"} 1',
    );

    // The body: structured fields, a dashboard link and Slack-compatible text.
    const notice = first.flat().find((transition) => transition.notice.rule === "failure_rate")?.notice;
    expect(notice).toMatchObject({
      status: "firing",
      function: "billing",
      value: 0.5,
      threshold: 0.2,
      namespace,
      link: "http://dash.example:8080/functions/billing",
    });
    expect(notice?.window).toMatch(/^\d+m$/);
    expect(notice?.text).toMatch(
      /^:rotating_light: \[.+\] failure_rate is firing: 50% of billing jobs failed over the last \d+m \(threshold 20%\)\. <http:\/\/dash\.example:8080\/functions\/billing\|Open in the dashboard>$/,
    );

    // Every condition clears.
    await jobs("billing", "complete", 60, now - 30_000);
    await redis.del(functionKeys(namespace, "billing").deadLetter, keys.eventsDeadLetter);
    await harness.database.database.db
      .updateTable("jobs")
      .set({ status: "complete" })
      .where("function", "=", "slowpoke")
      .execute();
    await jobs("laggy", "complete", 300, now - 30_000, 1);
    await Promise.all(replicas.map((replica) => replica.runOnce()));
    expect(summary(receiver.take())).toEqual([
      "resolved dead_letter_growth billing",
      "resolved failure_rate billing",
      "resolved invalid_events *",
      "resolved queue_wait laggy",
      "resolved stuck_jobs slowpoke",
    ]);
    await Promise.all(replicas.map((replica) => replica.runOnce()));
    expect(receiver.take()).toEqual([]);
    for (const replica of replicas) await replica.stop();
  });

  it("fires again on the next evaluation when the webhook refused the notification", async () => {
    await jobs("flaky-fn", "failed", 6, now - 60_000);
    const alerts = startAlerts(harness.deps, { timer: false });
    receiver.status = 500;
    const refused = await alerts.runOnce();
    expect(refused.map((transition) => [transition.notice.function, transition.delivered])).toEqual([
      ["flaky-fn", false],
    ]);
    receiver.status = 200;
    await alerts.runOnce();
    expect(summary(receiver.take())).toEqual(["firing failure_rate flaky-fn"]);
    await alerts.runOnce();
    expect(receiver.take()).toEqual([]);
    await alerts.stop();
  });

  it("takes per-function thresholds from a rules file and refuses a wrong one", () => {
    const settings = alertSettings(
      harness.config,
      JSON.stringify({
        failure_rate: { threshold: 0.5, functions: { "flaky-fn": null } },
        queue_wait: { threshold: "2m" },
      }),
    );
    expect(settings.thresholds.failure_rate).toEqual({ threshold: 0.5, functions: { "flaky-fn": null } });
    expect(settings.thresholds.queue_wait.threshold).toBe(120_000);
    expect(() => alertSettings(harness.config, JSON.stringify({ failure_rate: { threshold: 2 } }))).toThrow(
      AlertSettingsError,
    );
    expect(() => alertSettings(harness.config, JSON.stringify({ latency: {} }))).toThrow(
      /latency|Unrecognized/,
    );
  });
});
