/**
 * Guards that see beyond the proxy, inside workerd with the Durable Object's own alarm: each
 * provider polled end to end against a fake server that answers in the provider's documented shape
 * (test/support/fake-metrics.ts), pushed signals, and the reset after a resume. The Durable Object's
 * clock runs an hour ahead of real time, so no alarm fires by itself: the test runs each one.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { ReceivedDelivery } from "../setup/webhook-receiver";
import { alarmAt, begin, create, deleteRollouts, health, lastAudit, rollout, startFake, stub } from "./external-fakes";
import { admin, adminJson } from "./helpers";

const STAGES = [
  { percent: 10, holdSeconds: 3600 },
  { percent: 100, holdSeconds: 0 },
];

afterEach(deleteRollouts);

async function received(name: string): Promise<ReceivedDelivery[]> {
  return (await fetch(`${env.TEST_WEBHOOK_RECEIVER}/received/hooks/${name}`)).json();
}

describe("prometheus", () => {
  it("polls the instant query with the rollout filled in, kills after failureLimit breaches with the check and value in the audit and a guard-breach webhook, and counts afresh after a resume", async () => {
    const t0 = await begin();
    const prom = await startFake("prometheus");
    await prom.set("setVector", ["1200"]);
    const hook = `ext-${crypto.randomUUID().slice(0, 8)}`;
    const hooks = await adminJson("PUT", "/notifications", {
      webhooks: [{ id: "ops", url: `${env.TEST_WEBHOOK_RECEIVER}/hooks/${hook}`, events: ["guard-breach"], secret: env.TEST_WEBHOOK_SECRET }],
    });
    expect(hooks.status).toBe(200);
    const check = { name: "queue_depth", description: "celery queue depth", provider: "prometheus", url: prom.url, query: 'sum(celery_queue_length{rollout="{{rollout}}"})' };
    await create("prom", { percent: 10, guard: { minRequests: 100, maxErrorRate: 0.05, external: [{ ...check, max: 5000, failureLimit: 2 }] } });

    await alarmAt(t0 + 5_000);
    const [first] = await prom.requests();
    expect(first).toMatchObject({ method: "GET", path: "/api/v1/query", query: { query: 'sum(celery_queue_length{rollout="prom"})' } });
    let report = await health("prom");
    expect(report.external.checks[0]).toMatchObject({ name: "queue_depth", verdict: "pass", value: 1200, valueText: "1,200", limit: "max 5,000" });
    expect(report.external.checks[0].valueAt).toBe(new Date(t0 + 5_000).toISOString());
    // The next alarm is due one guard interval later, and polling waits for the check's interval (30 s).
    expect(await runInDurableObject(stub(), (_instance, state) => state.storage.getAlarm())).toBe(t0 + 10_000);
    await alarmAt(t0 + 10_000);
    expect(await prom.requests()).toHaveLength(1);

    await prom.set("setVector", ["5400"]);
    await alarmAt(t0 + 35_000);
    report = await health("prom");
    expect(report.external.checks[0]).toMatchObject({ verdict: "pending", consecutiveFailures: 1, value: 5400 });
    expect((await rollout("prom")).status).toBe("live");
    await alarmAt(t0 + 65_000);
    const killed = await rollout("prom");
    expect(killed.status).toBe("killed");
    const reason = "guard: external queue_depth: celery queue depth 5,400 exceeds max 5,000 (2 consecutive failures, prometheus).";
    expect(killed.killReason).toBe(reason);
    expect(await lastAudit("prom")).toMatchObject({ actor: "guard", action: "kill", reason });
    const [breach] = await received(hook);
    expect(breach).toMatchObject({ verified: true, body: { event: "guard-breach", rollout: "prom", reason } });

    // After a resume, the failures before it are history: one more breach is 1 of 2, not a kill.
    expect((await adminJson("POST", "/rollouts/prom/resume", { reason: "queue drained" })).status).toBe(200);
    await alarmAt(t0 + 70_000);
    report = await health("prom");
    expect(report.external.since).toBe(new Date(t0 + 65_000).toISOString());
    expect(report.external.checks[0]).toMatchObject({ verdict: "pending", consecutiveFailures: 1 });
    expect((await rollout("prom")).status).toBe("live");
  });
});

describe("datadog", () => {
  it("sends the keys from the worker's secret vars, never stores them, and kills on the last point of the series", async () => {
    const t0 = await begin();
    const dd = await startFake("datadog", { apiKey: env.DD_API_KEY, appKey: env.DD_APP_KEY });
    await dd.set("setSeries", [
      [
        [t0 - 20_000, 0.01],
        [t0, 0.2],
        [t0 + 10_000, null],
      ],
    ]);
    const check = {
      name: "dd_errors",
      provider: "datadog",
      site: dd.url,
      query: "avg:trace.http.request.errors{version:{{variant}}}",
      apiKeyVar: "DD_API_KEY",
      appKeyVar: "DD_APP_KEY",
      max: 0.05,
    };
    await create("dd", { percent: 10, guard: { external: [check] } });
    await alarmAt(t0 + 5_000);
    const [request] = await dd.requests();
    expect(request!.headers).toMatchObject({ "dd-api-key": env.DD_API_KEY, "dd-application-key": env.DD_APP_KEY });
    expect(request!.query).toMatchObject({ query: "avg:trace.http.request.errors{version:new}", to: String(Math.floor((t0 + 5_000) / 1000)) });
    const killed = await rollout("dd");
    expect(killed).toMatchObject({ status: "killed", killReason: "guard: external dd_errors: value 0.2 exceeds max 0.05 (1 failure, datadog)." });
    const everything = JSON.stringify([killed, await health("dd"), (await adminJson("GET", "/audit?rollout=dd")).body]);
    expect(everything).not.toContain(env.DD_API_KEY);
    expect(everything).not.toContain(env.DD_APP_KEY);
  });

  it("names the missing var when a key is not set, and does not act on it", async () => {
    const t0 = await begin();
    const dd = await startFake("datadog", { apiKey: "k", appKey: "a" });
    await create("dd-missing", {
      percent: 10,
      guard: { external: [{ name: "dd", provider: "datadog", site: dd.url, query: "q", apiKeyVar: "DD_NOT_SET", appKeyVar: "DD_APP_KEY", max: 1 }] },
    });
    await alarmAt(t0 + 5_000);
    expect(await dd.requests()).toEqual([]);
    expect((await health("dd-missing")).external.checks[0]).toMatchObject({
      verdict: "inconclusive",
      error: "Datadog API key (apiKeyVar): the var DD_NOT_SET is not set (wrangler secret put DD_NOT_SET)",
    });
    expect((await rollout("dd-missing")).status).toBe("live");
  });
});

describe("web", () => {
  it("reads an error tracker's count at a JSON pointer with a header from a secret var, and pauses a staged rollout past max", async () => {
    const t0 = await begin();
    const sentry = await startFake("web");
    // Sentry's Discover events endpoint (docs.sentry.io/api/discover/query-discover-events-in-table-format).
    await sentry.set("setJson", { data: [{ "count()": 3 }], meta: { fields: { "count()": "integer" } } });
    const check = {
      name: "sentry_errors",
      description: "Sentry errors of release 2.4",
      provider: "web",
      url: `${sentry.url}/api/0/organizations/acme/events/?field=count()&query=event.type:error+release:2.4&statsPeriod=10m`,
      headers: { authorization: { fromVar: "SENTRY_AUTH" } },
      jsonPointer: "/data/0/count()",
      max: 10,
      intervalSeconds: 60,
    };
    await create("sentry", { percent: 10, stages: STAGES, guard: { action: "pause", external: [check] } });
    await alarmAt(t0 + 5_000);
    const [request] = await sentry.requests();
    expect(request).toMatchObject({ path: "/api/0/organizations/acme/events/", query: { field: "count()", statsPeriod: "10m" }, headers: { authorization: env.SENTRY_AUTH } });
    expect((await health("sentry")).external.checks[0]).toMatchObject({ verdict: "pass", value: 3 });

    await sentry.set("setJson", { data: [{ "count()": 25 }], meta: { fields: { "count()": "integer" } } });
    await alarmAt(t0 + 65_000);
    const paused = await rollout("sentry");
    expect(paused).toMatchObject({ status: "paused", paused: true, config: { percent: 10, killed: false } });
    expect(paused.pauseReason).toBe("guard: external sentry_errors: Sentry errors of release 2.4 25 exceeds max 10 (1 failure, web).");
    expect(JSON.stringify(paused)).not.toContain("test-sentry-token");
  });

  it("gives up on a slow endpoint well within the alarm's 5 s, and an error is inconclusive, never a breach by default", async () => {
    const t0 = await begin();
    const slow = await startFake("web");
    await slow.set("setJson", { depth: 1 });
    await slow.delay(8_000);
    await create("slow-web", { percent: 10, guard: { external: [{ name: "depth", provider: "web", url: slow.url, jsonPointer: "/depth", max: 10 }] } });
    const started = Date.now();
    await alarmAt(t0 + 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await health("slow-web")).external.checks[0]).toMatchObject({ verdict: "inconclusive", error: "no answer within 4000 ms" });
    expect((await rollout("slow-web")).status).toBe("live");
  });
});

describe("signals", () => {
  const smoke = { name: "smoke_failures", description: "share of smoke tests failing", provider: "signal", max: 0.1, staleAfterSeconds: 60 };

  it("kills on a pushed value past max at the next alarm, lists the values newest first, and ignores the values before a resume", async () => {
    const t0 = await begin();
    await create("pushed", { percent: 10, guard: { external: [smoke] } });
    const ok = await adminJson("POST", "/rollouts/pushed/signals/smoke_failures", { value: 0, note: "smoke: 0 of 5 failed" }, { "x-actor": "ci-job-17" });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ rollout: "pushed", name: "smoke_failures", value: { value: 0, note: "smoke: 0 of 5 failed", by: "admin" } });
    await alarmAt(t0 + 5_000);
    expect((await health("pushed")).external.checks[0]).toMatchObject({ verdict: "pass", value: 0 });

    await admin("POST", "/rollouts/pushed/signals/smoke_failures", { value: 0.4, note: "smoke: 2 of 5 failed" });
    await alarmAt(t0 + 10_000);
    const killed = await rollout("pushed");
    expect(killed).toMatchObject({ status: "killed", killReason: "guard: external smoke_failures: share of smoke tests failing 0.4 exceeds max 0.1 (1 failure, signal)." });

    const one = await adminJson("GET", "/rollouts/pushed/signals/smoke_failures");
    expect(one.body.name).toBe("smoke_failures");
    expect(one.body.values.map((v: { value: number; note: string }) => [v.value, v.note])).toEqual([
      [0.4, "smoke: 2 of 5 failed"],
      [0, "smoke: 0 of 5 failed"],
    ]);
    expect((await adminJson("GET", "/rollouts/pushed/signals")).body).toEqual({ rollout: "pushed", signals: [one.body] });

    expect((await adminJson("POST", "/rollouts/pushed/resume", { reason: "fixed" })).status).toBe(200);
    await alarmAt(t0 + 15_000);
    expect((await rollout("pushed")).status).toBe("live");
    expect((await health("pushed")).external.checks[0]).toMatchObject({ verdict: "pending", error: "no value pushed since the last reset" });
  });

  it("goes inconclusive once the last value is older than staleAfterSeconds", async () => {
    const t0 = await begin();
    await create("stale", { percent: 10, guard: { external: [smoke] } });
    await admin("POST", "/rollouts/stale/signals/smoke_failures", { value: 0.05, at: new Date(t0).toISOString() });
    await alarmAt(t0 + 30_000);
    expect((await health("stale")).external.checks[0]).toMatchObject({ verdict: "pass" });
    await alarmAt(t0 + 70_000);
    expect((await health("stale")).external.checks[0]).toMatchObject({ verdict: "inconclusive", error: "stale: the last value was pushed 70 s ago (staleAfterSeconds 60)" });
  });

  it("refuses bad pushes with a problem, stores nothing, and keeps the last 100 values", async () => {
    await create("bad-push", { percent: 10, guard: { external: [smoke] } });
    const cases: Array<[string, unknown, number, string]> = [
      ["smoke_failures", { value: "high" }, 422, "invalid-body"],
      ["smoke_failures", { value: 1, at: "yesterday" }, 422, "invalid-body"],
      ["smoke_failures", { value: 1, extra: true }, 422, "invalid-body"],
      ["smoke_failures", { value: 1, note: "n".repeat(501) }, 422, "invalid-body"],
      ["smoke_failures", "{", 400, "malformed-json"],
      ["smoke_failures", undefined, 400, "missing-body"],
      ["smoke-typo", { value: 1 }, 404, "signal-not-found"],
      ["Not_A_Name", { value: 1 }, 422, "invalid-body"],
    ];
    for (const [name, body, status, type] of cases) {
      const res = await adminJson("POST", `/rollouts/bad-push/signals/${name}`, body);
      expect(res.status, `${name} ${JSON.stringify(body)}`).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body.type).toBe(`urn:edge-router:${type}`);
    }
    expect((await adminJson("POST", "/rollouts/bad-push/signals/smoke-typo", { value: 1 })).body.detail).toBe(
      'Rollout "bad-push" has no signal check named "smoke-typo": its signal checks read "smoke_failures".',
    );
    expect((await adminJson("POST", "/rollouts/nobody/signals/smoke_failures", { value: 1 })).status).toBe(404);
    expect((await adminJson("GET", "/rollouts/bad-push/signals/smoke_failures")).body).toEqual({ name: "smoke_failures", values: [] });
    expect((await adminJson("GET", "/rollouts/bad-push/signals/other")).status).toBe(404);

    for (let i = 0; i < 101; i++) await admin("POST", "/rollouts/bad-push/signals/smoke_failures", { value: i / 1000, at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() });
    const kept = (await adminJson("GET", "/rollouts/bad-push/signals/smoke_failures")).body.values;
    expect(kept).toHaveLength(100);
    expect(kept[0]).toMatchObject({ value: 0.1, at: "2026-01-01T00:01:40.000Z" });
    expect(kept.at(-1)).toMatchObject({ value: 0.001 });
  });

  it("lets a read token list signals and refuses it a push", async () => {
    await create("scoped", { percent: 10, guard: { external: [smoke] } });
    const read = (await adminJson("POST", "/tokens", { name: `reader-${crypto.randomUUID().slice(0, 6)}`, scopes: ["read"] })).body.token as string;
    const refused = await adminJson("POST", "/rollouts/scoped/signals/smoke_failures", { value: 1 }, { authorization: `Bearer ${read}` });
    expect(refused.status).toBe(403);
    expect((await adminJson("GET", "/rollouts/scoped/signals", undefined, { authorization: `Bearer ${read}` })).body).toEqual({
      rollout: "scoped",
      signals: [{ name: "smoke_failures", values: [] }],
    });
  });
});
