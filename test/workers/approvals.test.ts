/**
 * Go/no-go decision points and rollout windows inside workerd, with the Durable Object's own
 * alarm: a staged rollout stops for an operator's approval and goes on once approved; a schedule
 * holds stage moves to their window. The Durable Object's clock is set by the test (far ahead of
 * real time, so that no alarm fires by itself) and the alarm is run with runDurableObjectAlarm.
 */
import { insertOldRollout, OLD_AT, oldConfig, schemaVersionOf, stateAtSchema } from "./first-release";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STATE_OBJECT_NAME } from "../../contracts/env";
import { RolloutState } from "../../control/rollout-state";
import { SCHEMA_VERSION } from "../../control/store/schema";
import { newAccumulator, recordOutcome, takeFlush } from "../../edge/health-batcher";
import { admin, adminJson } from "./helpers";

const stub = () => env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));

async function setClock(at: number) {
  await runInDurableObject(stub(), (instance: RolloutState) => {
    instance.now = () => new Date(at);
  });
}

/** Runs the alarm at `at` on the Durable Object's clock. */
async function alarmAt(at: number) {
  await setClock(at);
  expect(await runDurableObjectAlarm(stub())).toBe(true);
}

async function create(id: string, config: Record<string, unknown>) {
  const res = await adminJson("PUT", `/rollouts/${id}`, { match: { pathPrefixes: [`/${id}`] }, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN }, ...config });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

/** What isolates would flush for 30 healthy requests per variant from 30 users each. */
function healthy(id: string) {
  const acc = newAccumulator(0);
  for (let i = 0; i < 30; i++) {
    recordOutcome(acc, id, "new", { status: 200, latencyMs: 20, user: `new-${i}`, clientIp: null });
    recordOutcome(acc, id, "legacy", { status: 200, latencyMs: 20, user: `legacy-${i}`, clientIp: null });
  }
  return takeFlush(acc, 10_000)!;
}

const rollout = async (id: string) => (await adminJson("GET", `/rollouts/${id}`)).body;

describe("approval gates", () => {
  it("stops a healthy staged rollout before a stage that requires approval, and enters it once an operator approves", async () => {
    // An hour ahead of real time, on a slot boundary: alarms set from this clock never fire by themselves.
    const t0 = Math.ceil(Date.now() / 10_000) * 10_000 + 3_600_000;
    await setClock(t0);
    const hook = `gate-${crypto.randomUUID().slice(0, 8)}`;
    const hooks = await adminJson("PUT", "/notifications", {
      webhooks: [{ id: "release", url: `${env.TEST_WEBHOOK_RECEIVER}/hooks/${hook}`, events: ["approval-needed", "advance"], secret: env.TEST_WEBHOOK_SECRET }],
    });
    expect(hooks.status).toBe(200);
    await create("gated", {
      percent: 0,
      stages: [
        { percent: 10, holdSeconds: 60 },
        { percent: 50, holdSeconds: 60, requiresApproval: true },
        { percent: 100, holdSeconds: 0 },
      ],
      guard: { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05 },
    });
    await alarmAt(t0 + 5000);
    expect((await rollout("gated")).config.percent).toBe(10);
    // Healthy traffic all through the hold, and well past it: the scheduler still waits.
    for (let t = t0 + 10_000; t <= t0 + 180_000; t += 10_000) {
      await setClock(t);
      await stub().recordHealth(healthy("gated"));
      await alarmAt(t + 5000);
    }
    const waiting = await rollout("gated");
    expect(waiting).toMatchObject({ status: "live", approval: null, config: { percent: 10 } });
    expect(waiting.stage).toMatchObject({ awaitingApproval: true, nextPercent: 50, waiting: "awaiting approval to enter 50%: the hold is done, guard healthy" });

    // The release manager approves with their own token: the audit names the token.
    const token = (await adminJson("POST", "/tokens", { name: "release-manager", scopes: ["read", "operate"] })).body.token as string;
    const approved = await adminJson(
      "POST",
      "/rollouts/gated/approve",
      { reason: "go/no-go: error rate 0%, p95 20 ms" },
      { authorization: `Bearer ${token}`, "if-match": `"${waiting.version}"` },
    );
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ changed: true, rollout: { approval: { percent: 50, fromPercent: 10, by: "release-manager" }, stage: { awaitingApproval: false } } });
    // Approving again changes nothing.
    expect((await adminJson("POST", "/rollouts/gated/approve", {})).body).toMatchObject({ changed: false });

    await setClock(t0 + 190_000);
    await stub().recordHealth(healthy("gated"));
    await alarmAt(t0 + 195_000);
    const moved = await rollout("gated");
    expect(moved).toMatchObject({ config: { percent: 50 }, approval: null, stage: { awaitingApproval: false } });

    const audit = (await adminJson("GET", "/audit?rollout=gated&limit=2")).body.entries;
    expect(audit.map((e: { action: string; actor: string }) => `${e.action} by ${e.actor}`)).toEqual(["advance by stages", "approve by release-manager"]);
    expect(audit[1]).toMatchObject({ reason: "go/no-go: error rate 0%, p95 20 ms", after: { approval: { percent: 50 } } });
    expect(audit[0].reason).toMatch(/^stage: held 10% for \d+ min, guard healthy, approved by release-manager$/);

    // 50% → 100% needs no approval: approving now is refused, and nothing is stored.
    const refused = await adminJson("POST", "/rollouts/gated/approve", { reason: "again" });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.body).toMatchObject({
      type: "urn:edge-router:invalid-state",
      detail: 'the next stage of rollout "gated" (100%) does not require approval: nothing waits for one',
    });
    expect((await rollout("gated")).version).toBe(moved.version);
  });

  it("refuses bad approvals with a problem and stores nothing", async () => {
    await create("gate-input", {
      percent: 10,
      stages: [
        { percent: 10, holdSeconds: 600 },
        { percent: 50, holdSeconds: 0, requiresApproval: true },
      ],
    });
    const before = await rollout("gate-input");
    const cases: Array<[unknown, Record<string, string>, number, string]> = [
      [{ reason: 42 }, {}, 422, "invalid-body"],
      [{ reason: "x", percent: 50 }, {}, 422, "invalid-body"],
      ["{", {}, 400, "malformed-json"],
      [{ reason: "x" }, { "if-match": `"${before.version - 1}"` }, 412, "version-mismatch"],
      [{ reason: "x" }, { "if-match": "yesterday" }, 400, "invalid-if-match"],
      [{ reason: "x" }, { "content-type": "text/plain" }, 415, "unsupported-media-type"],
    ];
    for (const [body, headers, status, type] of cases) {
      const res = await admin("POST", "/rollouts/gate-input/approve", body, headers);
      expect(res.status, `${JSON.stringify(body)} ${JSON.stringify(headers)}`).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(((await res.json()) as { type: string }).type).toBe(`urn:edge-router:${type}`);
    }
    expect((await admin("POST", "/rollouts/nobody/approve", {})).status).toBe(404);
    expect((await admin("POST", "/rollouts/Not_An_Id/approve", {})).status).toBe(422);
    const after = await rollout("gate-input");
    expect(after).toMatchObject({ version: before.version, approval: null, stage: { awaitingApproval: true } });
  });
});

describe("schedules", () => {
  it("moves stages only inside the advance window, waiting with the reason and the time it opens", async () => {
    const monday = Date.parse("2031-01-06T12:00:00Z"); // a Monday, years ahead of real time
    await setClock(monday);
    await create("nightly", {
      percent: 0,
      stages: [
        { percent: 10, holdSeconds: 0 },
        { percent: 50, holdSeconds: 0 },
        { percent: 100, holdSeconds: 0 },
      ],
      schedule: { advanceWindows: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "22:00", to: "23:00", timeZone: "Europe/Berlin" }] },
    });
    await alarmAt(monday + 5000);
    const waiting = await rollout("nightly");
    expect(waiting.config.percent).toBe(0);
    expect(waiting.stage.waiting).toBe("waiting for the advance window mon–fri 22:00–23:00 Europe/Berlin: opens in 9 h, at 2031-01-06 22:00 Europe/Berlin");

    const opens = Date.parse("2031-01-06T21:00:00Z"); // 22:00 in Berlin (CET)
    await alarmAt(opens);
    expect((await rollout("nightly")).config.percent).toBe(10);
    await alarmAt(opens + 5000);
    expect((await rollout("nightly")).config.percent).toBe(50);
    // 23:00 in Berlin: closed until Tuesday night. A kill still acts at once.
    await alarmAt(opens + 3_600_000);
    const closed = await rollout("nightly");
    expect(closed.config.percent).toBe(50);
    expect(closed.stage.waiting).toMatch(/^waiting for the advance window mon–fri 22:00–23:00 Europe\/Berlin: opens in 23 h, at 2031-01-07 22:00 Europe\/Berlin$/);
    expect((await adminJson("POST", "/rollouts/nightly/kill", { reason: "outside the window, still at once" })).body.rollout.status).toBe("killed");
  });

  it("does not enter the first stage before startAt", async () => {
    const t = Date.parse("2031-02-03T08:00:00Z");
    await setClock(t);
    await create("later", { percent: 0, stages: [{ percent: 10, holdSeconds: 0 }], schedule: { startAt: "2031-02-03T11:00:00Z" } });
    await alarmAt(t + 5000);
    expect((await rollout("later")).stage).toMatchObject({ percent: 0, waiting: "scheduled to start at 2031-02-03T11:00:00Z (in 3 h)" });
    await alarmAt(Date.parse("2031-02-03T11:00:00Z"));
    expect((await rollout("later")).config.percent).toBe(10);
  });

  it("refuses a bad schedule at its field and stores nothing", async () => {
    const res = await adminJson("PUT", "/rollouts/bad-window", {
      match: { pathPrefixes: ["/bad-window"] },
      origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN },
      stages: [{ percent: 10, holdSeconds: 0 }],
      schedule: { advanceWindows: [{ days: ["mon", "mon"], from: "22:00", to: "23:00", timeZone: "Mars/Olympus" }] },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(["/schedule/advanceWindows/0/days/1", "/schedule/advanceWindows/0/timeZone"]);
    expect((await admin("GET", "/rollouts/bad-window")).status).toBe(404);
  });
});

it("migrates an object at schema 1, whose rollouts predate approvals, and approves on it", async () => {
  const other = env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName("schema-1-staged"));
  const result = await runInDurableObject(other, async (_instance: RolloutState, state) => {
    const sql = state.storage.sql;
    // What schema 1 held: its tables only, a staged rollout without `approval`.
    stateAtSchema(sql, 1, { schemaVersion: "1", version: "4" });
    const stages = [
      { percent: 10, holdSeconds: 60 },
      { percent: 100, holdSeconds: 0 },
    ];
    insertOldRollout(sql, oldConfig("old-staged", { stages }), 4, { percentSince: OLD_AT, guardSince: OLD_AT, paused: false, pauseReason: null });
    const fresh = new RolloutState(state, env);
    const schema = schemaVersionOf(sql);
    const view = await fresh.getRollout("old-staged");
    // Its stages predate requiresApproval: nothing waits, so an approval is refused.
    const approve = await fresh.apply({ type: "approve", id: "old-staged", body: {} }, "bob");
    const hooks = await fresh.putNotifications({ webhooks: [{ id: "ops", url: "https://hooks.example.com/x", events: ["kill"], secret: "0123456789abcdef" }] }, "bob");
    return { schema, stage: view?.stage, approve, hooks, deliveries: await fresh.listDeliveries() };
  });
  expect(result.schema).toBe(String(SCHEMA_VERSION));
  expect(result.stage).toMatchObject({ awaitingApproval: false, nextPercent: 100 });
  expect(result.approve).toMatchObject({ ok: false, error: { kind: "invalid-state" } });
  expect(result.hooks).toMatchObject({ ok: true, changed: true, settings: { webhooks: [{ id: "ops", secretSet: true }] } });
  expect(result.deliveries).toEqual([]);
});
