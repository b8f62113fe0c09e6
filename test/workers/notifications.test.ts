/**
 * Webhooks end to end inside workerd: the Durable Object queues a delivery when something happens,
 * its alarm sends it to a real HTTP receiver on loopback (test/setup/webhook-receiver.ts), which
 * checks the signature with node:crypto, and retries with backoff when the receiver fails. The
 * Durable Object's clock is set by the test, an hour or more ahead of real time so that no alarm
 * fires by itself, and the alarm is run with runDurableObjectAlarm.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STATE_OBJECT_NAME } from "../../contracts/env";
import type { RolloutState } from "../../control/rollout-state";
import { newAccumulator, recordOutcome, takeFlush } from "../../edge/health-batcher";
import type { ReceivedDelivery } from "../setup/webhook-receiver";
import { admin, adminJson } from "./helpers";

const stub = () => env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));
const SECRET = env.TEST_WEBHOOK_SECRET;

async function setClock(at: number) {
  await runInDurableObject(stub(), (instance: RolloutState) => {
    instance.now = () => new Date(at);
  });
}

async function alarmAt(at: number): Promise<boolean> {
  await setClock(at);
  return runDurableObjectAlarm(stub());
}

/** What the receiver got at `/hooks/<name>` (or `/flaky/<name>`). */
async function received(name: string, kind: "hooks" | "flaky" = "hooks"): Promise<ReceivedDelivery[]> {
  return (await fetch(`${env.TEST_WEBHOOK_RECEIVER}/received/${kind}/${name}`)).json();
}

async function create(id: string, config: Record<string, unknown>) {
  const res = await adminJson("PUT", `/rollouts/${id}`, { match: { pathPrefixes: [`/${id}`] }, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN }, ...config });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function webhooks(hooks: Array<Record<string, unknown>>) {
  const res = await adminJson("PUT", "/notifications", { webhooks: hooks });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** A clock an hour ahead of real time, on a 10 s slot boundary (health counts whole slots). */
const ahead = () => Math.ceil(Date.now() / 10_000) * 10_000 + 3_600_000;

describe("webhook deliveries", () => {
  it("sends a kill from the alarm, never from the request, signed so that the receiver verifies it, and retries a failing receiver with backoff", async () => {
    const t0 = ahead();
    await setClock(t0);
    const name = `ops-${crypto.randomUUID().slice(0, 8)}`;
    await webhooks([
      { id: "ops", url: `${env.TEST_WEBHOOK_RECEIVER}/hooks/${name}`, events: ["kill", "resume"], secret: SECRET },
      { id: "pager", url: `${env.TEST_WEBHOOK_RECEIVER}/flaky/${name}`, events: ["kill"], secret: SECRET },
    ]);
    await create("notified", { percent: 20 });

    const alice = (await adminJson("POST", "/tokens", { name: "alice", scopes: ["operate"] })).body.token as string;
    const killed = await adminJson("POST", "/rollouts/notified/kill", { reason: "5xx spike <!channel>" }, { authorization: `Bearer ${alice}` });
    expect(killed.status).toBe(200);
    // The request is answered; nothing has been sent yet: the deliveries wait for the alarm.
    expect(await received(name)).toEqual([]);
    expect(await received(name, "flaky")).toEqual([]);
    const queued = (await adminJson("GET", "/notifications/deliveries")).body.deliveries;
    expect(queued.map((d: { webhookId: string; status: string; attempts: number }) => [d.webhookId, d.status, d.attempts]).sort()).toEqual([
      ["ops", "pending", 0],
      ["pager", "pending", 0],
    ]);

    expect(await alarmAt(t0)).toBe(true);
    const [delivery] = await received(name);
    expect(delivery).toMatchObject({ verified: true, status: 200, headers: { "x-edge-router-event": "kill", "content-type": "application/json" } });
    expect(delivery!.body).toEqual({
      event: "kill",
      rollout: "notified",
      at: new Date(t0).toISOString(),
      actor: "alice",
      reason: "5xx spike <!channel>",
      summary: "at 20%: every user of the rollout now goes to legacy",
      text: "🛑 *notified* killed by alice: 5xx spike &lt;!channel&gt;",
    });
    expect(delivery!.headers["x-edge-router-timestamp"]).toBe(String(Math.floor(t0 / 1000)));

    // The flaky receiver refused it: retried 10 s later, then 20 s after that, with the same delivery id.
    const pager = () => adminJson("GET", "/notifications/deliveries").then((r) => r.body.deliveries.find((d: { webhookId: string }) => d.webhookId === "pager"));
    expect(await pager()).toMatchObject({ status: "pending", attempts: 1, lastStatus: 503, nextAttemptAt: new Date(t0 + 10_000).toISOString() });
    expect(await alarmAt(t0 + 10_000)).toBe(true);
    expect(await pager()).toMatchObject({ status: "pending", attempts: 2, lastStatus: 503, nextAttemptAt: new Date(t0 + 30_000).toISOString() });
    expect(await alarmAt(t0 + 30_000)).toBe(true);
    expect(await pager()).toMatchObject({ status: "delivered", attempts: 3, lastStatus: 200, deliveredAt: new Date(t0 + 30_000).toISOString() });
    expect(await received(name)).toHaveLength(1);
    const flaky = await received(name, "flaky");
    expect(flaky.map((d) => d.status)).toEqual([503, 503, 200]);
    // Every attempt signed afresh (its own timestamp) and verified; one delivery id throughout.
    expect(flaky.every((d) => d.verified)).toBe(true);
    expect(new Set(flaky.map((d) => d.headers["x-edge-router-delivery"])).size).toBe(1);
    expect(flaky.map((d) => d.headers["x-edge-router-timestamp"])).toEqual([t0, t0 + 10_000, t0 + 30_000].map((t) => String(Math.floor(t / 1000))));
    expect(flaky[2]!.raw).toBe(delivery!.raw);

    // Nothing pending and no rollout to watch: no alarm is left behind.
    expect(await runDurableObjectAlarm(stub())).toBe(false);
  });

  it("keeps a webhook's secret when a PUT leaves it out (the receiver still verifies), and never shows it", async () => {
    const t0 = ahead() + 7_200_000;
    await setClock(t0);
    const name = `keep-${crypto.randomUUID().slice(0, 8)}`;
    const url = `${env.TEST_WEBHOOK_RECEIVER}/hooks/${name}`;
    await webhooks([{ id: "ops", url, events: ["kill"], secret: SECRET }]);
    const view = await webhooks([{ id: "ops", url, events: ["kill", "resume"] }]);
    expect(view).toEqual({ changed: true, webhooks: [{ id: "ops", url, events: ["kill", "resume"], secretSet: true }] });
    const read = await admin("GET", "/notifications");
    expect(await read.text()).not.toContain(SECRET);

    await create("kept", { percent: 5 });
    await adminJson("POST", "/rollouts/kept/kill", {});
    await adminJson("POST", "/rollouts/kept/resume", { reason: "fixed" });
    await alarmAt(t0);
    const got = await received(name);
    expect(got.map((d) => [d.body?.event, d.verified])).toEqual([
      ["kill", true],
      ["resume", true],
    ]);
    const audit = (await adminJson("GET", "/audit?limit=20")).body.entries.filter((e: { action: string }) => e.action === "notifications");
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });

  it("refuses bad settings with a problem and keeps the stored ones", async () => {
    const url = `${env.TEST_WEBHOOK_RECEIVER}/hooks/unchanged`;
    await webhooks([{ id: "ops", url, events: ["kill"], secret: SECRET }]);
    const bad: Array<[unknown, number, string]> = [
      [{ webhooks: [{ id: "ops", url, events: ["kill"], secret: "short" }] }, 422, "/webhooks/0/secret"],
      [{ webhooks: [{ id: "brand-new", url, events: ["kill"] }] }, 422, "/webhooks/0/secret"],
      [{ webhooks: [{ id: "ops", url: "ftp://x.example", events: ["kill"] }] }, 422, "/webhooks/0/url"],
      [{ webhooks: [{ id: "ops", url, events: ["kill", "explode"] }] }, 422, "/webhooks/0/events/1"],
      [{ webhooks: [{ id: "ops", url, events: ["kill"], extra: 1 }] }, 422, "/webhooks/0"],
      [{ hooks: [] }, 422, ""],
      [[], 422, ""],
    ];
    for (const [body, status, pointer] of bad) {
      const res = await adminJson("PUT", "/notifications", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body.errors[0].pointer).toBe(pointer);
    }
    expect((await admin("PUT", "/notifications", "{")).status).toBe(400);
    expect((await admin("PUT", "/notifications", "x", { "content-type": "text/plain" })).status).toBe(415);
    expect((await admin("PUT", "/notifications")).status).toBe(400);
    expect((await admin("GET", "/notifications/deliveries?limit=0")).status).toBe(400);
    expect((await adminJson("GET", "/notifications")).body).toEqual({ webhooks: [{ id: "ops", url, events: ["kill"], secretSet: true }] });
  });
});

describe("guard warnings", () => {
  it("notify once per window and never act", async () => {
    const t0 = ahead() + 14_400_000;
    await setClock(t0);
    const name = `warn-${crypto.randomUUID().slice(0, 8)}`;
    await webhooks([{ id: "ops", url: `${env.TEST_WEBHOOK_RECEIVER}/hooks/${name}`, events: ["guard-warning", "guard-breach", "kill"], secret: SECRET }]);
    await create("warned", { percent: 50, guard: { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.5, warn: { maxErrorRate: 0.05 } } });
    /** 40 requests per variant from 40 users; new fails one in five. */
    const flush = () => {
      const acc = newAccumulator(0);
      for (let i = 0; i < 40; i++) {
        recordOutcome(acc, "warned", "new", { status: i % 5 === 0 ? 503 : 200, latencyMs: 20, user: `n-${i}`, clientIp: null });
        recordOutcome(acc, "warned", "legacy", { status: 200, latencyMs: 20, user: `l-${i}`, clientIp: null });
      }
      return takeFlush(acc, 10_000)!;
    };
    for (let t = t0 + 1000; t <= t0 + 25_000; t += 5000) {
      await setClock(t);
      await stub().recordHealth(flush());
      await alarmAt(t + 1000);
    }
    const health = (await adminJson("GET", "/rollouts/warned/health")).body;
    expect(health.verdict.status).toBe("healthy");
    expect(health.verdict.warnings.map((w: { sentence: string }) => w.sentence)).toEqual([
      expect.stringMatching(/^new error rate 20\.0% over \d+ s \(n=\d+, \d+ users, errors from \d+ users\) exceeds warn\.maxErrorRate 5\.0% \(legacy 0\.0%, n=\d+\)$/),
    ]);
    expect((await adminJson("GET", "/rollouts/warned")).body).toMatchObject({ status: "live", config: { killed: false, percent: 50 } });
    const got = await received(name);
    expect(got.map((d) => d.body?.event)).toEqual(["guard-warning"]);
    expect(got[0]).toMatchObject({ verified: true, body: { rollout: "warned", actor: "guard", reason: expect.stringMatching(/exceeds warn\.maxErrorRate 5\.0%/) } });
    // A window later it may warn again.
    await setClock(t0 + 40_000);
    await stub().recordHealth(flush());
    await alarmAt(t0 + 41_000);
    expect((await received(name)).map((d) => d.body?.event)).toEqual(["guard-warning", "guard-warning"]);
  });
});
