/**
 * Guards against one client, and against old data, with the real Worker, Durable Object and alarm:
 * attack traffic through the request path, resumes and continues with a controlled clock, and
 * health rows stored before distinct counts existed.
 */
import { HealthBook } from "../../control/health-book";
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STATE_OBJECT_NAME } from "../../contracts/env";
import { bucketOf } from "../../contracts/hash";
import type { RolloutState } from "../../control/rollout-state";
import { newAccumulator, recordOutcome, takeFlush } from "../../edge/health-batcher";
import { admin, adminJson } from "./helpers";

const stub = () => env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));
/**
 * Health slots are 10 s. Tests freeze the Durable Object's clock at the start of the next slot: a
 * guard counts only slots that start at or after the rollout's creation, and the alarm the object
 * sets (5 s after its `now`) must not fire by itself before the test runs it.
 */
const SLOT = 10_000;

async function setClock(at: number | null) {
  await runInDurableObject(stub(), (instance: RolloutState) => {
    instance.now = at === null ? () => new Date() : () => new Date(at);
  });
}

/** A rollout of its own host (every path), so that attack paths reach the origin unchanged. */
async function create(id: string, config: Record<string, unknown>) {
  await admin("DELETE", `/rollouts/${id}`);
  const res = await adminJson("PUT", `/rollouts/${id}`, {
    match: { hosts: [`${id}.test`], pathPrefixes: ["/"] },
    origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN },
    ...config,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

/** `n` user ids that a rollout at 50% sends to new. */
function newUsers(rollout: string, prefix: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (bucketOf(rollout, `${prefix}-${i}`) < 5000) out.push(`${prefix}-${i}`);
  return out;
}

/** Sends the requests through the router, `concurrency` at a time. */
async function send(rollout: string, requests: Array<{ user: string; path: string }>, concurrency = 25) {
  for (let i = 0; i < requests.length; i += concurrency) {
    await Promise.all(
      requests
        .slice(i, i + concurrency)
        .map(({ user, path }) =>
          exports.default.fetch(`http://${rollout}.test${path}`, { headers: { "x-user-id": user, accept: "application/json" } }).then((r) => r.arrayBuffer()),
        ),
    );
  }
}

/** Interleaves lists, so that no one's requests arrive all together. */
const interleave = <T>(...lists: T[][]): T[] =>
  Array.from({ length: Math.max(...lists.map((l) => l.length)) }, (_, i) => lists.flatMap((l) => (i < l.length ? [l[i]!] : []))).flat();
const FAIL = "/__origin/status/503";

/** Waits until the Durable Object holds health that satisfies `ready` (isolates flush about once a second). */
// biome-ignore lint/suspicious/noExplicitAny: the health report as the endpoint answers it
async function health(rollout: string, ready: (h: any) => boolean): Promise<any> {
  let h: unknown;
  for (let attempt = 0; attempt < 40; attempt++) {
    await new Promise((r) => setTimeout(r, 150));
    h = (await adminJson("GET", `/rollouts/${rollout}/health?window=60`)).body;
    if (ready(h)) return h;
  }
  throw new Error(`health for ${rollout} never got ready: ${JSON.stringify(h)}`);
}

const rollout = async (id: string) => (await adminJson("GET", `/rollouts/${id}`)).body;

describe("one client through the request path", () => {
  it("cannot kill a guarded rollout with 650 failing requests beside 40 healthy users; ten users failing can", { timeout: 30_000 }, async () => {
    await setClock(Math.ceil(Date.now() / SLOT) * SLOT);
    await create("attack", { percent: 50, guard: { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05 } });
    const [attacker] = newUsers("attack", "attacker", 1);
    const healthy = Array.from({ length: 40 }, (_, i) => `healthy-${i}`).flatMap((user) => Array.from({ length: 5 }, () => ({ user, path: "/ok" })));
    await send(
      "attack",
      interleave(
        Array.from({ length: 650 }, () => ({ user: attacker!, path: FAIL })),
        healthy,
      ),
    );
    const before = await health("attack", (h) => h.legacy.requests + h.new.requests >= 200 && h.new.errors >= 10);
    expect(before.new.errorUsers).toBe(1);
    expect(before.new.errorRate).toBeGreaterThan(0.05);
    expect(before.verdict).toMatchObject({ status: "inconclusive", unconfirmed: ["maxErrorRate"] });
    expect(before.verdict.summary).toMatch(/errors from 1 user\) exceeds maxErrorRate 5\.0% .*but errors came from only 1 user \(minUsers is 5\)/);
    await runDurableObjectAlarm(stub());
    expect(await rollout("attack")).toMatchObject({ status: "live", config: { killed: false } });

    const unlucky = newUsers("attack", "unlucky", 10).flatMap((user) => Array.from({ length: 3 }, () => ({ user, path: FAIL })));
    await send("attack", unlucky);
    await health("attack", (h) => h.new.errorUsers >= 10);
    await runDurableObjectAlarm(stub());
    const killed = await rollout("attack");
    expect(killed).toMatchObject({ status: "killed", config: { killed: true } });
    expect(killed.killReason).toMatch(/^guard maxErrorRate: new error rate \d+\.\d% over 10 s \(n=\d+, \d+ users, errors from 11 users\) exceeds maxErrorRate 5\.0%/);
    await setClock(null);
  });

  it("cannot hide a regression spread over many users behind 10,000 fast 200s from one client", { timeout: 60_000 }, async () => {
    await setClock(Math.ceil(Date.now() / SLOT) * SLOT);
    await create("flood", { percent: 100, guard: { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05 } });
    // 30 users, one request in five failing: a 20% error rate, spread over all of them.
    const regression = Array.from({ length: 30 }, (_, i) => `user-${i}`).flatMap((user) => Array.from({ length: 5 }, (_, j) => ({ user, path: j === 2 ? FAIL : "/ok" })));
    const flood = Array.from({ length: 10_000 }, () => ({ user: "flooder", path: "/ok" }));
    await send("flood", interleave(flood, regression), 50);
    const h = await health("flood", (x) => x.new.errors >= 30);
    expect(h.new.errorRate).toBeGreaterThan(0.05);
    expect(h.new.requests).toBeLessThan(2_000);
    await runDurableObjectAlarm(stub());
    const killed = await rollout("flood");
    expect(killed.status).toBe("killed");
    // 30 users saw errors: an estimate, within one at this size.
    expect(Math.abs(Number(killed.killReason.match(/errors from (\d+) users\)/)[1]) - 30)).toBeLessThanOrEqual(1);
    await setClock(null);
  });
});

/** What one isolate flushes: `failing` users with one failed request each, `healthy` users with one 200 each. */
function flush(id: string, prefix: string, failing: number, healthy: number) {
  const acc = newAccumulator(0);
  for (let i = 0; i < failing; i++) recordOutcome(acc, id, "new", { status: 503, latencyMs: 20, user: `${prefix}-failing-${i}`, clientIp: null });
  for (let i = 0; i < healthy; i++) recordOutcome(acc, id, "new", { status: 200, latencyMs: 20, user: `${prefix}-ok-${i}`, clientIp: null });
  return takeFlush(acc, 10_000)!;
}

describe("a resume or a continue is not undone by failures from before it", () => {
  it("does not kill a resumed rollout again on pre-resume failures; new failures from five users do", async () => {
    const t = Math.ceil(Date.now() / SLOT) * SLOT;
    await setClock(t);
    await create("revived", { percent: 50, guard: { windowSeconds: 60, minRequests: 20, maxErrorRate: 0.05 } });
    await stub().recordHealth(flush("revived", "before", 20, 20));
    await setClock(t + 2000);
    await runDurableObjectAlarm(stub());
    expect(await rollout("revived")).toMatchObject({ status: "killed", killReason: expect.stringMatching(/^guard maxErrorRate/) });

    await setClock(t + 15_000);
    expect((await admin("POST", "/rollouts/revived/resume", { reason: "origin fixed" })).status).toBe(200);
    await setClock(t + 21_000);
    await stub().recordHealth(flush("revived", "after", 0, 30));
    await runDurableObjectAlarm(stub());
    expect(await rollout("revived")).toMatchObject({ status: "live" });
    const h = (await adminJson("GET", "/rollouts/revived/health?window=60")).body;
    // The operator still sees the whole minute, failures included; the guard counts from the resume.
    expect(h).toMatchObject({ since: new Date(t + 15_000).toISOString(), new: { errors: 20 }, verdict: { status: "healthy", windowSeconds: 10 } });

    await setClock(t + 23_000);
    await stub().recordHealth(flush("revived", "again", 5, 0));
    await runDurableObjectAlarm(stub());
    expect(await rollout("revived")).toMatchObject({ status: "killed", killReason: expect.stringMatching(/errors from 5 users\)/) });
    await setClock(null);
  });

  it("does not pause a continued rollout again on pre-continue failures; new failures from five users do", async () => {
    const t = Math.ceil(Date.now() / SLOT) * SLOT;
    await setClock(t);
    const stages = [
      { percent: 10, holdSeconds: 3600 },
      { percent: 50, holdSeconds: 3600 },
    ];
    await create("continued", { percent: 10, stages, guard: { windowSeconds: 60, minRequests: 20, maxErrorRate: 0.05, action: "pause" } });
    await stub().recordHealth(flush("continued", "before", 20, 20));
    await runDurableObjectAlarm(stub());
    expect(await rollout("continued")).toMatchObject({ status: "paused", pauseReason: expect.stringMatching(/^guard maxErrorRate/) });

    await setClock(t + 15_000);
    expect((await admin("POST", "/rollouts/continued/continue", {})).status).toBe(200);
    await setClock(t + 21_000);
    await stub().recordHealth(flush("continued", "after", 0, 30));
    await runDurableObjectAlarm(stub());
    expect(await rollout("continued")).toMatchObject({ status: "live", paused: false });

    await setClock(t + 23_000);
    await stub().recordHealth(flush("continued", "again", 5, 0));
    await runDurableObjectAlarm(stub());
    expect(await rollout("continued")).toMatchObject({ status: "paused", pauseReason: expect.stringMatching(/errors from 5 users\)/) });
    await setClock(null);
  });
});

describe("health rows stored before distinct counts existed", () => {
  it("are read as traffic without users, merged with new flushes, and judged inconclusive alone", async () => {
    const t = Math.ceil(Date.now() / SLOT) * SLOT;
    await setClock(t);
    await create("old-rows", { percent: 50, guard: { windowSeconds: 60, minRequests: 20, maxErrorRate: 0.05 } });
    const oldStats = {
      legacy: { requests: 40, errors: 0, clientErrors: 0, latency: { buckets: { "75": 40 }, count: 40, sum: 720, min: 18, max: 18 } },
      new: { requests: 40, errors: 20, clientErrors: 0, latency: { buckets: { "75": 40 }, count: 40, sum: 720, min: 18, max: 18 } },
    };
    await runInDurableObject(stub(), (instance: RolloutState, state) => {
      state.storage.sql.exec(`INSERT OR REPLACE INTO health_slots (rollout_id, slot, stats) VALUES (?, ?, ?)`, "old-rows", t, JSON.stringify(oldStats));
      // Reload from storage, as the object does when it starts.
      const inside = instance as unknown as { health: HealthBook };
      inside.health = new HealthBook(state.storage.sql, () => instance.now().getTime());
    });
    const h = (await adminJson("GET", "/rollouts/old-rows/health?window=60")).body;
    expect(h.new).toMatchObject({ requests: 40, errors: 20, users: 0, errorUsers: 0 });
    expect(h.verdict.summary).toMatch(/^Not enough users on new to judge: 0 of 5/);
    await runDurableObjectAlarm(stub());
    expect(await rollout("old-rows")).toMatchObject({ status: "live" });

    await stub().recordHealth(flush("old-rows", "now", 6, 24));
    const merged = (await adminJson("GET", "/rollouts/old-rows/health?window=60")).body;
    expect(merged.new).toMatchObject({ requests: 70, errors: 26, errorUsers: 6 });
    expect(Math.abs(merged.new.users - 30)).toBeLessThanOrEqual(1);
    await runDurableObjectAlarm(stub());
    expect(await rollout("old-rows")).toMatchObject({ status: "killed" });
    await setClock(null);
  });
});
