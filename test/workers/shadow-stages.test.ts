/**
 * Shadow results judged by the control plane, inside workerd with the Durable Object's own alarm:
 * a stage with requireShadowMatch waits until new answers like legacy over the hold (and says why),
 * a guard's maxMismatchRate rolls back, shadow flushes reach the primary through a regional
 * replica, and an object from before shadow traffic migrates and takes them. The Durable Object's
 * clock is set by the test (ahead of real time, so that no alarm fires by itself).
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STATE_OBJECT_NAME } from "../../contracts/env";
import type { HealthFlush } from "../../contracts/health";
import { newShadowAccumulator, recordShadow, takeShadowFlush, type ShadowOutcome } from "../../contracts/shadow-stats";
import type { ConfigReplica } from "../../control/config-replica";
import { RolloutState } from "../../control/rollout-state";
import { SCHEMA_VERSION } from "../../control/store/schema";
import { admin, adminJson } from "./helpers";
import { insertOldRollout, oldConfig, schemaVersionOf, stateAtSchema } from "./first-release";
import { shadowReport, shadowRollout, through } from "./shadow-helpers";

const stub = () => env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));

async function setClock(at: number | null) {
  await runInDurableObject(stub(), (instance: RolloutState) => {
    instance.now = at === null ? () => new Date() : () => new Date(at);
  });
}

async function alarmAt(at: number) {
  await setClock(at);
  expect(await runDurableObjectAlarm(stub())).toBe(true);
}

const rollout = async (id: string) => (await adminJson("GET", `/rollouts/${id}`)).body;

/** What isolates would flush after `matched` matching and `mismatched` differing comparisons of rollout `id`. */
function comparisons(id: string, matched: number, mismatched: number, at: number): HealthFlush {
  const acc = newShadowAccumulator();
  const facts = { latencyMs: { legacy: 20, new: 25 }, at: new Date(at).toISOString(), method: "GET", path: "/catalog", legacyStatus: 200, newStatus: 200 };
  for (let i = 0; i < matched; i++) recordShadow(acc, id, "/", { kind: "match", ...facts } as ShadowOutcome);
  for (let i = 0; i < mismatched; i++) recordShadow(acc, id, "/", { kind: "body", pointer: "/items/2/price", legacyValue: "7.25", newValue: "8.25", ...facts });
  return { rollouts: {}, shadow: takeShadowFlush(acc) };
}

/** A rollout at 0% whose first stage (10%) requires a shadow match, judged on 20 comparisons at most 5% apart. */
const gated = (action: "kill" | "pause" = "pause") => ({
  percent: 0,
  stages: [
    { percent: 10, holdSeconds: 0, requireShadowMatch: true },
    { percent: 100, holdSeconds: 0 },
  ],
  guard: { windowSeconds: 30, minRequests: 20, maxMismatchRate: 0.05, action },
  shadow: { percent: 100, compare: { ignore: ["/meta/requestId"] } },
});

async function create(id: string, config: Record<string, unknown>) {
  await admin("DELETE", `/rollouts/${id}`);
  const res = await adminJson("PUT", `/rollouts/${id}`, { match: { pathPrefixes: [`/${id}`] }, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN }, ...config });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

describe("a stage that requires a shadow match", () => {
  it("waits while too few comparisons are in, waits while the mismatch rate over the hold is too high, and enters once it is not", async () => {
    const t0 = Math.ceil(Date.now() / 10_000) * 10_000 + 3_600_000;
    await setClock(t0);
    await create("match-gate", gated());
    await stub().recordHealth(comparisons("match-gate", 12, 0, t0));
    await alarmAt(t0 + 5000);
    let r = await rollout("match-gate");
    expect(r.config.percent).toBe(0);
    expect(r.stage.waiting).toBe("waiting for a shadow match to enter 10%: inconclusive, 12 of 20 comparisons needed over 5 s");

    // 30 mismatches early in the hold: out of the guard's 30 s window a minute later, still in the hold.
    await setClock(t0 + 10_000);
    await stub().recordHealth(comparisons("match-gate", 0, 30, t0 + 10_000));
    await alarmAt(t0 + 70_000);
    r = await rollout("match-gate");
    expect(r.config.percent).toBe(0);
    expect(r.status).toBe("live");
    expect(r.stage.waiting).toBe("waiting for a shadow match to enter 10%: mismatch rate 71.4% over 70 s (30 of 42 comparisons differed) is above maxMismatchRate 5.0%");

    // Enough matching answers since then bring the hold's rate down to 5%: the stage is entered.
    await setClock(t0 + 80_000);
    await stub().recordHealth(comparisons("match-gate", 558, 0, t0 + 80_000));
    await alarmAt(t0 + 85_000);
    r = await rollout("match-gate");
    expect(r.config.percent).toBe(10);
    const audit = (await adminJson("GET", "/audit?rollout=match-gate&limit=1")).body.entries[0];
    expect(audit).toMatchObject({ actor: "stages", action: "advance" });
    expect(audit.reason).toContain("starting the first stage, shadow mismatch rate 5.0% (30 of 600 comparisons differed)");
    await setClock(null);
  });

  it("rolls back on its own when the mismatch rate over the guard's window breaks maxMismatchRate, at 0%", async () => {
    const t0 = Math.ceil(Date.now() / 10_000) * 10_000 + 7_200_000;
    await setClock(t0);
    await create("mismatch-kill", gated("kill"));
    await stub().recordHealth(comparisons("mismatch-kill", 15, 10, t0));
    await alarmAt(t0 + 5000);
    const r = await rollout("mismatch-kill");
    expect(r.status).toBe("killed");
    expect(r.killReason).toBe("guard maxMismatchRate: shadow mismatch rate 40.0% over 10 s (10 of 25 comparisons differed) exceeds maxMismatchRate 5.0%.");
    const health = (await adminJson("GET", "/rollouts/mismatch-kill/health")).body;
    expect(health.verdict).toMatchObject({ status: "breach", shadow: { compared: 25, mismatched: 10, mismatchRate: 0.4 } });
    await setClock(null);
  });

  it("refuses requireShadowMatch without shadow traffic or without maxMismatchRate, saying which", async () => {
    const res = await adminJson("PUT", "/rollouts/no-shadow", {
      match: { pathPrefixes: ["/no-shadow"] },
      origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN },
      stages: [{ percent: 10, holdSeconds: 0, requireShadowMatch: true }],
      guard: { maxErrorRate: 0.05 },
    });
    expect(res.status).toBe(422);
    const messages = res.body.errors.map((e: { pointer: string; message: string }) => `${e.pointer}: ${e.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^\/stages\/0\/requireShadowMatch: is true, but this rollout mirrors no traffic/),
      expect.stringMatching(/^\/stages\/0\/requireShadowMatch: is true, but the guard sets no maxMismatchRate/),
    ]);
  });

  it("enters its first stage on real mirrors once new agrees with legacy", async () => {
    // Created at the start of this slot: the mirrors flushed from now on count towards its hold.
    const t0 = Math.floor(Date.now() / 10_000) * 10_000;
    await setClock(t0);
    await shadowRollout("real-gate", env.TEST_SHADOW_NEW_ORIGIN, gated().shadow, { stages: gated().stages, guard: gated().guard });
    await setClock(null);
    for (let i = 0; i < 22; i++) await (await through("real-gate", "/__origin/catalog", `gate-${i}`)).arrayBuffer();
    const report = await shadowReport("real-gate", 22);
    expect(report.totals).toMatchObject({ compared: 22, mismatched: 0 });
    await alarmAt(Date.now());
    expect((await rollout("real-gate")).config.percent).toBe(10);
    await setClock(null);
  });
});

describe("shadow results through a regional replica", () => {
  it("merges the flushes of two isolates and forwards them as one to the primary", async () => {
    await create("via-replica", { shadow: { percent: 100 } });
    const replica = env.CONFIG_REPLICA.get(env.CONFIG_REPLICA.idFromName("shadow-weur"));
    const now = Date.now();
    await runInDurableObject(replica, (instance: ConfigReplica) => {
      instance.now = () => now;
    });
    await replica.recordHealth(comparisons("via-replica", 3, 1, now)); // forwarded at once: the first in a second
    await replica.recordHealth(comparisons("via-replica", 2, 2, now + 1)); // held
    await replica.recordHealth(comparisons("via-replica", 1, 0, now + 2)); // held
    const first = (await adminJson("GET", "/rollouts/via-replica/shadow")).body;
    expect(first.totals).toMatchObject({ compared: 4, mismatched: 1 });
    await runInDurableObject(replica, (instance: ConfigReplica) => {
      instance.now = () => now + 1500;
    });
    await runDurableObjectAlarm(replica);
    const both = (await adminJson("GET", "/rollouts/via-replica/shadow")).body;
    expect(both.totals).toMatchObject({ compared: 9, mismatched: 3 });
    expect(both.examples).toHaveLength(3);
  });
});

it("migrates an object from before shadow traffic (schema 4, health flushes without shadow) and takes shadow results", async () => {
  const other = env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName("schema-4-shadow"));
  const result = await runInDurableObject(other, async (_instance: RolloutState, state) => {
    const sql = state.storage.sql;
    stateAtSchema(sql, 4, { schemaVersion: "4", version: "2" });
    insertOldRollout(sql, oldConfig("old"), 2);
    const fresh = new RolloutState(state, env);
    const schema = schemaVersionOf(sql);
    const empty = await fresh.getShadow("old");
    // What an isolate deployed before shadow traffic sends: health only.
    await fresh.recordHealth({ rollouts: {} });
    await fresh.recordHealth(comparisons("old", 4, 1, Date.now()));
    const restarted = new RolloutState(state, env);
    return { schema, empty, after: await restarted.getShadow("old"), patch: await restarted.apply({ type: "patch", id: "old", patch: { shadow: { percent: 5 } } }, "bob") };
  });
  expect(result.schema).toBe(String(SCHEMA_VERSION));
  expect(result.empty).toMatchObject({ shadow: null, totals: { compared: 0 }, prefixes: [], examples: [] });
  expect(result.after).toMatchObject({ totals: { compared: 5, mismatched: 1 }, examples: [{ pointer: "/items/2/price" }] });
  expect(result.patch).toMatchObject({ ok: true, changed: true });
});
