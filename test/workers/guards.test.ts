import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RolloutState } from "../../control/rollout-state";
import { FLUSH_INTERVAL_MS, newAccumulator, recordOutcome, takeFlush } from "../../edge/health-batcher";
import { STATE_OBJECT_NAME } from "../../contracts/env";
import { admin, adminJson } from "./helpers";

const stub = () => env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));

/** Sets the Durable Object's clock (its guard and stage logic read `now()`). */
async function setClock(at: number | null) {
  await runInDurableObject(stub(), (instance: RolloutState) => {
    instance.now = at === null ? () => new Date() : () => new Date(at);
  });
}

/**
 * Freezes the Durable Object's clock at the start of the next 10 s health slot. A guard counts
 * only slots that start at or after the rollout's creation (its guardSince), so a rollout created
 * mid-slot would not count traffic sent in the same slot. Ahead, not behind: the alarm it sets
 * (5 s after its `now`) must not fire by itself before the test runs it.
 */
async function freezeAtSlotStart() {
  await setClock(Math.ceil(Date.now() / 10_000) * 10_000);
}

async function create(id: string, config: Record<string, unknown>) {
  await admin("DELETE", `/rollouts/${id}`);
  const res = await adminJson("PUT", `/rollouts/${id}`, { match: { pathPrefixes: [`/${id}`] }, ...config });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

/** Sends `count` requests from distinct users through the router, `concurrency` at a time. */
async function traffic(path: string, count: number, concurrency = 20) {
  for (let i = 0; i < count; i += concurrency) {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count - i) }, (_, j) =>
        exports.default.fetch(`http://router.test${path}`, { headers: { "x-user-id": `u-${path}-${i + j}`, accept: "application/json" } }).then((r) => r.arrayBuffer()),
      ),
    );
  }
}

/** How long the steady load of the flush and refresh test lasts. */
const LOAD_MS = 3000;

/** Sends requests from distinct users through the router for `ms`, `concurrency` back to back at any time; returns how many. */
async function trafficFor(path: string, ms: number, concurrency = 8): Promise<number> {
  const until = Date.now() + ms;
  let sent = 0;
  const user = async () => {
    while (Date.now() < until) {
      const i = sent++;
      await exports.default.fetch(`http://router.test${path}`, { headers: { "x-user-id": `u-${path}-${i}`, accept: "application/json" } }).then((r) => r.arrayBuffer());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, user));
  return sent;
}

/** Waits until the isolate has flushed and the Durable Object holds `minimum` requests for the rollout. */
async function flushed(id: string, minimum: number) {
  for (let attempt = 0; attempt < 40; attempt++) {
    await new Promise((r) => setTimeout(r, 150));
    // A request after a second triggers the isolate's next flush.
    await exports.default.fetch(`http://router.test/${id}/tick`, { headers: { "x-user-id": "ticker", accept: "application/json" } }).then((r) => r.arrayBuffer());
    const health = await adminJson("GET", `/rollouts/${id}/health?window=60`);
    if (health.body.legacy.requests + health.body.new.requests >= minimum) return health.body;
  }
  throw new Error(`health for ${id} never reached ${minimum} requests`);
}

describe("guards: automatic rollback", () => {
  it("kills a rollout whose new origin fails 20% of requests at the first check after the data arrives, and says why", async () => {
    await freezeAtSlotStart();
    await create("flaky", {
      origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_FLAKY_ORIGIN },
      percent: 50,
      guard: { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05 },
    });
    await traffic("/flaky", 200);
    const before = await flushed("flaky", 200);
    expect(before.new.errorRate).toBeGreaterThan(0.15);
    expect(before.legacy.errorRate).toBe(0);
    expect(before.verdict.status).toBe("breach");

    expect(await runDurableObjectAlarm(stub())).toBe(true);
    const after = await adminJson("GET", "/rollouts/flaky");
    expect(after.body).toMatchObject({ status: "killed", config: { killed: true } });
    expect(after.body.killReason).toMatch(
      /^guard maxErrorRate: new error rate \d+\.\d% over \d+ s \(n=\d+, \d+ users, errors from \d+ users\) exceeds maxErrorRate 5\.0% \(legacy 0\.0%, n=\d+\)\.$/,
    );
    const audit = await adminJson("GET", "/audit?rollout=flaky&limit=1");
    expect(audit.body.entries[0]).toMatchObject({ actor: "guard", action: "kill", reason: after.body.killReason });
    // And the traffic now goes to legacy.
    const res = await exports.default.fetch("http://router.test/flaky/after", { headers: { "x-user-id": "anyone", accept: "application/json" } });
    expect(res.headers.get("x-origin")).toBe("legacy");
    await setClock(null);
  });

  it("reports inconclusive and kills nothing with too little traffic", async () => {
    await create("thin", {
      origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_FLAKY_ORIGIN },
      percent: 50,
      guard: { windowSeconds: 30, minRequests: 500, maxErrorRate: 0.05 },
    });
    await traffic("/thin", 40);
    const health = await flushed("thin", 40);
    expect(health.verdict.status).toBe("inconclusive");
    await runDurableObjectAlarm(stub());
    expect((await adminJson("GET", "/rollouts/thin")).body).toMatchObject({ status: "live", config: { killed: false } });
  });

  it("trips the p95 delta when new is 300 ms slower than legacy", async () => {
    await freezeAtSlotStart();
    await create("slow", {
      origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_SLOW_ORIGIN },
      percent: 50,
      guard: { windowSeconds: 30, minRequests: 10, maxP95DeltaMs: 100 },
    });
    await traffic("/slow", 80, 40);
    const health = await flushed("slow", 80);
    expect(health.new.p95 - health.legacy.p95).toBeGreaterThan(250);
    expect(health.verdict).toMatchObject({ status: "breach", breaches: [expect.objectContaining({ limit: "maxP95DeltaMs" })] });
    await runDurableObjectAlarm(stub());
    const after = await adminJson("GET", "/rollouts/slow");
    expect(after.body.killReason).toMatch(/^guard maxP95DeltaMs: new p95 \d+ ms is \d+ ms slower than legacy's \d+ ms over \d+ s \(n=\d+, \d+ users; n=\d+ legacy\)/);
    await setClock(null);
  });

  it("shows legacy and new side by side in the health report, with a per-10-s series", async () => {
    const health = await adminJson("GET", "/rollouts/flaky/health?window=60");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      rollout: "flaky",
      windowSeconds: 60,
      legacy: { requests: expect.any(Number), p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) },
      verdict: { status: expect.any(String) },
    });
    // The chart covers the last five minutes in 10 s slots, oldest first, whatever the window.
    expect(health.body.series).toHaveLength(30);
    expect(Date.parse(health.body.series[29].at) - Date.parse(health.body.series[0].at)).toBe(290_000);
    expect((await admin("GET", "/rollouts/flaky/health?window=5")).status).toBe(400);
    expect((await admin("GET", "/rollouts/ghost/health")).status).toBe(404);
  });
});

describe("stages: automatic promotion", () => {
  const plan = [
    { percent: 10, holdSeconds: 60 },
    { percent: 25, holdSeconds: 60 },
    { percent: 50, holdSeconds: 60 },
    { percent: 75, holdSeconds: 60 },
    { percent: 100, holdSeconds: 0 },
  ];

  /** What isolates would flush for `n` healthy requests per variant, from `n` users each. */
  function healthyFlush(id: string, n: number) {
    const acc = newAccumulator(0);
    for (let i = 0; i < n; i++) {
      recordOutcome(acc, id, "new", { status: 200, latencyMs: 20, user: `new-${i}`, clientIp: null });
      recordOutcome(acc, id, "legacy", { status: 200, latencyMs: 20, user: `legacy-${i}`, clientIp: null });
    }
    return takeFlush(acc, 10_000)!;
  }

  it("walks a healthy rollout through every stage to 100%, one audit entry per step", async () => {
    const t0 = Date.now();
    await setClock(t0);
    await create("staged", {
      origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN },
      percent: 0,
      stages: plan,
      guard: { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05 },
    });
    const seen: number[] = [];
    for (let t = t0; t <= t0 + 400_000; t += 5000) {
      await setClock(t);
      await stub().recordHealth(healthyFlush("staged", 10));
      await runDurableObjectAlarm(stub());
      const r = (await adminJson("GET", "/rollouts/staged")).body;
      if (seen.at(-1) !== r.config.percent) seen.push(r.config.percent);
      if (r.config.percent === 100) break;
    }
    expect(seen).toEqual([10, 25, 50, 75, 100]);
    const r = (await adminJson("GET", "/rollouts/staged")).body;
    expect(r.status).toBe("complete");
    const audit = (await adminJson("GET", "/audit?rollout=staged&limit=10")).body.entries;
    expect(audit.filter((e: { actor: string }) => e.actor === "stages").map((e: { action: string; after: { percent: number } }) => `${e.action} ${e.after.percent}`)).toEqual([
      "advance 100",
      "advance 75",
      "advance 50",
      "advance 25",
      "advance 10",
    ]);
    await setClock(null);
  });

  it("does not advance on inconclusive data, and says why it waits", async () => {
    const t0 = Date.now();
    await setClock(t0);
    await create("waiting", {
      origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN },
      percent: 10,
      stages: plan,
      guard: { windowSeconds: 30, minRequests: 1000, maxErrorRate: 0.05 },
    });
    await setClock(t0 + 120_000);
    await runDurableObjectAlarm(stub());
    const r = (await adminJson("GET", "/rollouts/waiting")).body;
    expect(r.config.percent).toBe(10);
    expect(r.stage).toMatchObject({ index: 0, count: 5, nextPercent: 25, waiting: expect.stringMatching(/guard inconclusive: Not enough traffic on new/) });
    await setClock(null);
  });

  it("lets operators pause, continue and promote; a stale If-Match is refused", async () => {
    await setClock(null);
    await create("manual", { origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN }, percent: 10, stages: plan });
    const paused = await adminJson("POST", "/rollouts/manual/pause", { reason: "holding for the release train" });
    expect(paused.body.rollout).toMatchObject({
      status: "paused",
      paused: true,
      pauseReason: "holding for the release train",
      stage: { waiting: expect.stringMatching(/^paused/) },
    });
    const continued = await adminJson("POST", "/rollouts/manual/continue", {});
    expect(continued.body.rollout.status).toBe("live");
    const promoted = await adminJson("POST", "/rollouts/manual/promote", {}, { "if-match": `"${continued.body.version}"` });
    expect(promoted.body.rollout.config.percent).toBe(25);
    expect((await admin("POST", "/rollouts/manual/promote", {}, { "if-match": `"${continued.body.version}"` })).status).toBe(412);
    const noStages = await admin("POST", "/rollouts/default/promote", {});
    expect(noStages.status).toBe(409);
    expect(await noStages.json()).toMatchObject({ type: "urn:edge-router:invalid-state", detail: expect.stringMatching(/has no stages/) });
  });
});

describe("health flushes", () => {
  it("reach the Durable Object about once a second per isolate while traffic lasts, and the config about once per freshness window, never once per request", async () => {
    await create("counted", { origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN }, percent: 50 });
    const before = (await adminJson("GET", "/stats")).body.isolate;
    const started = Date.now();
    const sent = await trafficFor("/counted", LOAD_MS);
    const elapsedMs = Date.now() - started;
    const after = (await adminJson("GET", "/stats")).body.isolate;
    const requests = after.proxiedRequests - before.proxiedRequests;
    const flushes = after.healthFlushes - before.healthFlushes;
    const refreshes = after.configRefreshes - before.configRefreshes;
    expect(requests).toBe(sent);
    // One flush per second of traffic, give or take one at either end.
    const seconds = elapsedMs / FLUSH_INTERVAL_MS;
    expect(flushes).toBeGreaterThanOrEqual(Math.floor(seconds) - 1);
    expect(flushes).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    // One snapshot refresh per freshness window (CONFIG_FRESHNESS_MS), give or take one.
    const windows = elapsedMs / after.freshnessMs;
    expect(refreshes).toBeGreaterThanOrEqual(Math.floor(windows) - 1);
    expect(refreshes).toBeLessThanOrEqual(Math.ceil(windows) + 2);
    // And the traffic was real load: many requests per refresh, far more per flush.
    expect(sent).toBeGreaterThan(5 * refreshes);
  });
});

describe("health flushes when traffic stops", () => {
  it("delivers the last requests' counts within about a second even if no request follows", async () => {
    await create("quiet", { origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN }, percent: 50 });
    await traffic("/quiet", 5, 5);
    let total = 0;
    for (let i = 0; i < 20 && total < 5; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const h = (await adminJson("GET", "/rollouts/quiet/health")).body;
      total = h.legacy.requests + h.new.requests;
    }
    expect(total).toBe(5);
  });
});

describe("the alarm when a rollout gains a guard", () => {
  it("is brought forward to the next check even when it was set far ahead (a webhook retry hours away)", async () => {
    await setClock(null);
    const farAhead = Date.now() + 3 * 3600_000;
    await runInDurableObject(stub(), async (_instance: RolloutState, state) => {
      await state.storage.setAlarm(farAhead);
    });
    await create("late-guard", { origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN }, percent: 10, guard: { minRequests: 10, maxErrorRate: 0.1 } });
    let alarm: number | null = farAhead;
    for (let i = 0; i < 50 && alarm === farAhead; i++) {
      await new Promise((r) => setTimeout(r, 20));
      alarm = await runInDurableObject(stub(), (_instance: RolloutState, state) => state.storage.getAlarm());
    }
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(Date.now() + 6_000);
    await admin("DELETE", "/rollouts/late-guard");
  });
});
