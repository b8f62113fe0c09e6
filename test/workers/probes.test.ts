/**
 * Synthetic probes inside workerd with the Durable Object's own alarm: sent straight to the
 * variant's origin (a fake server that records what it gets), never counted as user traffic; a
 * failing probe holds a stage at 0% and acts once new has traffic; a continue starts its count
 * afresh. Also: an object from before external checks (schema 4) migrates and runs them.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { RolloutState } from "../../control/rollout-state";
import { SCHEMA_VERSION } from "../../control/store/schema";
import { alarmAt, begin, create, deleteRollouts, health, lastAudit, rollout, startFake, type Fake } from "./external-fakes";
import { adminJson } from "./helpers";
import { insertOldRollout, OLD_AT, oldConfig, schemaVersionOf, stateAtSchema } from "./first-release";

afterEach(deleteRollouts);

const HEALTH_PROBE = { name: "health", variant: "new", path: "/healthz", intervalSeconds: 5, failureThreshold: 2, headers: { "x-probe-secret": "p" } };
const STAGES = [
  { percent: 10, holdSeconds: 0, requireProbes: true },
  { percent: 50, holdSeconds: 3600 },
  { percent: 100, holdSeconds: 0 },
];

/** A new origin whose every path answers `status`. */
async function newOrigin(status: number): Promise<Fake> {
  const origin = await startFake("web");
  await origin.set("setRaw", status, `new answered ${status}`, "text/plain");
  return origin;
}

describe("probes", () => {
  it("hold the first stage at 0% while failing (no pause, no kill), enter it once passing, and kill once new has traffic", async () => {
    const t0 = await begin();
    const origin = await newOrigin(503);
    await create("probed", { origins: { legacy: env.TEST_LEGACY_ORIGIN, new: origin.url }, percent: 0, stages: STAGES, probes: [HEALTH_PROBE], guard: { action: "kill" } });
    for (let i = 1; i <= 3; i++) await alarmAt(t0 + i * 5_000);
    const held = await rollout("probed");
    expect(held).toMatchObject({ status: "live", paused: false, config: { percent: 0, killed: false } });
    expect(held.stage.waiting).toBe("probes failing: probe health: GET /healthz on new failed 3 times in a row (last: HTTP 503, expected 200).");

    const requests = await origin.requests();
    expect(requests).toHaveLength(3);
    expect(requests[0]).toMatchObject({ method: "GET", path: "/healthz", headers: { "x-rollout-probe": "health", "x-probe-secret": "p" } });
    let report = await health("probed");
    expect(report.new.requests).toBe(0);
    expect(report.external.probes[0]).toMatchObject({ name: "health", results: [false, false], consecutiveFailures: 3, passing: false, lastStatus: 503 });
    expect(report.external.probeFailures).toHaveLength(1);

    await origin.set("setRaw", 200, "ok", "text/plain");
    await alarmAt(t0 + 20_000);
    expect((await rollout("probed")).stage.waiting).toBe("waiting for probes before 10%: health: 1 of the 2 passing runs needed");
    await alarmAt(t0 + 25_000);
    expect((await rollout("probed")).config.percent).toBe(10);
    expect((await lastAudit("probed")).reason).toBe("stage: starting the first stage");

    await origin.set("setRaw", 500, "down", "text/plain");
    await alarmAt(t0 + 30_000);
    expect((await rollout("probed")).status).toBe("live");
    await alarmAt(t0 + 35_000);
    const killed = await rollout("probed");
    expect(killed).toMatchObject({ status: "killed", killReason: "probe health: GET /healthz on new failed 2 times in a row (last: HTTP 500, expected 200)." });
    expect(await lastAudit("probed")).toMatchObject({ actor: "guard", action: "kill" });
    report = await health("probed");
    expect(report.new.requests).toBe(0);
  });

  it("pause a staged rollout without a guard, and a continue starts the count afresh", async () => {
    const t0 = await begin();
    const origin = await newOrigin(503);
    await create("paused-probe", { origins: { legacy: env.TEST_LEGACY_ORIGIN, new: origin.url }, percent: 10, stages: STAGES, probes: [HEALTH_PROBE] });
    await alarmAt(t0 + 5_000);
    await alarmAt(t0 + 10_000);
    const paused = await rollout("paused-probe");
    expect(paused).toMatchObject({ status: "paused", pauseReason: "probe health: GET /healthz on new failed 2 times in a row (last: HTTP 503, expected 200)." });

    expect((await adminJson("POST", "/rollouts/paused-probe/continue", { reason: "origin restarted" })).status).toBe(200);
    await alarmAt(t0 + 15_000);
    expect((await rollout("paused-probe")).status).toBe("live");
    expect((await health("paused-probe")).external.probes[0]).toMatchObject({ results: [false], consecutiveFailures: 1 });
    await alarmAt(t0 + 20_000);
    expect((await rollout("paused-probe")).status).toBe("paused");
  });

  it("probes legacy too, where a failure holds a requireProbes stage but never acts", async () => {
    const t0 = await begin();
    const legacy = await newOrigin(502);
    const probe = { ...HEALTH_PROBE, name: "legacy-health", variant: "legacy" };
    await create("legacy-probe", {
      origins: { legacy: legacy.url, new: env.TEST_NEW_ORIGIN },
      percent: 10,
      stages: STAGES.slice(1).map((s, i) => (i === 0 ? { ...s, holdSeconds: 0, requireProbes: true } : s)),
      probes: [probe],
    });
    for (let i = 1; i <= 3; i++) await alarmAt(t0 + i * 5_000);
    const view = await rollout("legacy-probe");
    expect(view).toMatchObject({ status: "live", config: { percent: 10 } });
    expect(view.stage.waiting).toMatch(/^waiting for probes before 50%: legacy-health: 0 of the 2 passing runs needed/);
    expect((await legacy.requests())[0]).toMatchObject({ headers: { "x-rollout-probe": "legacy-health" } });
  });
});

it("migrates an object at schema 4 (before external checks) and polls and probes on it", async () => {
  const other = env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName("schema-4-external"));
  const prom = await startFake("prometheus");
  await prom.set("setScalar", "7");
  const result = await runInDurableObject(other, async (_instance: RolloutState, state) => {
    const sql = state.storage.sql;
    stateAtSchema(sql, 4, { schemaVersion: "4", version: "3" });
    const guard = { windowSeconds: 60, minRequests: 100, minUsers: 5, maxErrorRate: 0.05, action: "kill" };
    insertOldRollout(sql, oldConfig("old-guarded", { guard }), 3, { percentSince: OLD_AT, guardSince: OLD_AT });
    const fresh = new RolloutState(state, env);
    const schema = schemaVersionOf(sql);
    const before = await fresh.getHealth("old-guarded");
    const check = { name: "backlog", provider: "prometheus", url: prom.url, query: "scalar(backlog)", max: 5, intervalSeconds: 5 };
    const patched = await fresh.apply({ type: "patch", id: "old-guarded", patch: { guard: { external: [check] } } }, "bob");
    await fresh.alarm();
    return { schema, before: before?.external, patched: patched.ok, after: await fresh.getRollout("old-guarded") };
  });
  expect(result.schema).toBe(String(SCHEMA_VERSION));
  expect(result.before).toBeNull();
  expect(result.patched).toBe(true);
  expect(result.after).toMatchObject({ status: "killed", killReason: "guard: external backlog: value 7 exceeds max 5 (1 failure, prometheus)." });
});
