/**
 * What the alarm makes of external checks and probes: a breached check acts whatever the traffic,
 * probes hold stages and act once new has traffic, and a resume or continue starts counts afresh.
 */
import { describe, expect, it } from "vitest";
import { toFieldIssues } from "../../contracts/field-issues";
import { evaluateGuard } from "../../control/policy/guard";
import { RolloutConfigSchema, type RolloutConfigInput, type StoredRollout } from "../../contracts/rollout";
import { EMPTY_STATE, type ControlState } from "../../control/policy/commands";
import { applyProbe, type ProbeState } from "../../control/policy/external/probes";
import { externalReport } from "../../control/policy/external/report";
import { applyResult, type CheckState } from "../../control/policy/external/verdict";
import { resetDecision, withExternal, type ExternalInputs } from "../../control/policy/external/watch";
import { evaluateRollouts, stageView } from "../../control/policy/schedule";
import type { HealthSummary } from "../../contracts/health";

const T0 = Date.parse("2026-03-02T10:00:00Z");
const ORIGINS = { legacy: "http://legacy.test", new: "http://new.test" };
const QUEUE = { name: "queue_depth", description: "celery queue depth", provider: "prometheus", url: "http://prom:9090", query: "sum(q)", max: 5000 } as const;
const HEALTH = { name: "health", variant: "new", path: "/health", failureThreshold: 2 } as const;

function rollout(input: Omit<RolloutConfigInput, "id" | "origins">, extra: Partial<StoredRollout> = {}): StoredRollout {
  const config = RolloutConfigSchema.parse({ id: "r", origins: ORIGINS, ...input });
  const at = new Date(T0).toISOString();
  return { config, version: 1, updatedAt: at, updatedBy: "test", killReason: null, percentSince: at, guardSince: at, paused: false, pauseReason: null, ...extra };
}

const stateOf = (r: StoredRollout): ControlState => ({ ...EMPTY_STATE, version: 1, rollouts: new Map([[r.config.id, r]]) });

/** A check state after these values were polled, 10 s apart. */
function polled(r: StoredRollout, values: number[]): Record<string, CheckState> {
  const check = r.config.guard!.external![0]!;
  let state: CheckState | undefined;
  values.forEach((v, i) => {
    state = applyResult(check, state, { ok: true, value: v }, T0 + i * 10_000);
  });
  return { [check.name]: state! };
}

/** A probe state after these runs (true: passed). */
function probed(runs: boolean[], threshold = 2): Record<string, ProbeState> {
  let state: ProbeState | undefined;
  runs.forEach((ok, i) => {
    state = applyProbe(state, { ok, status: ok ? 200 : 503, error: ok ? null : "HTTP 503, expected 200", durationMs: 3 }, T0 + i * 15_000, threshold);
  });
  return { health: state! };
}

const evaluate = (r: StoredRollout, ext: ExternalInputs, now = T0 + 60_000) => evaluateRollouts(stateOf(r), {}, now, () => ext)[0]!;

const EMPTY_SUMMARY: HealthSummary = {
  windowSeconds: 60,
  legacy: { requests: 0, errors: 0, clientErrors: 0, errorRate: null, p50: null, p95: null, p99: null, users: 0, errorUsers: 0, errorIps: 0 },
  new: { requests: 0, errors: 0, clientErrors: 0, errorRate: null, p50: null, p95: null, p99: null, users: 0, errorUsers: 0, errorIps: 0 },
} as HealthSummary;

describe("external checks in the guard's verdict", () => {
  it("kills on a breached check with no traffic at all, naming the check and its value in the reason", () => {
    const r = rollout({ percent: 10, guard: { minRequests: 500, maxErrorRate: 0.05, external: [QUEUE] } });
    const evaluation = evaluate(r, { checks: polled(r, [5400]), probes: {} });
    expect(evaluation.verdict.status).toBe("breach");
    expect(evaluation.command).toEqual({
      type: "kill",
      id: "r",
      body: { reason: "guard: external queue_depth: celery queue depth 5,400 exceeds max 5,000 (1 failure, prometheus)." },
    });
    expect(evaluation.actor).toBe("guard");
  });

  it("pauses instead when the guard's action says so", () => {
    const r = rollout({
      percent: 10,
      stages: [
        { percent: 10, holdSeconds: 60 },
        { percent: 100, holdSeconds: 0 },
      ],
      guard: { action: "pause", external: [QUEUE] },
    });
    expect(evaluate(r, { checks: polled(r, [9000]), probes: {} }).command).toMatchObject({ type: "pause" });
  });

  it("lets a guard with checks and no traffic limits judge on its checks alone: healthy with no traffic", () => {
    const r = rollout({ percent: 10, guard: { minRequests: 500, external: [QUEUE] } });
    const evaluation = evaluate(r, { checks: polled(r, [1200]), probes: {} });
    expect(evaluation.verdict).toMatchObject({ status: "healthy", summary: "External checks pass: queue_depth.", external: { status: "healthy" } });
    expect(evaluation.command).toBeUndefined();
  });

  it("keeps the traffic verdict's minRequests for the traffic limits: inconclusive traffic, passing checks → inconclusive", () => {
    const r = rollout({ percent: 10, guard: { minRequests: 500, maxErrorRate: 0.05, external: [QUEUE] } });
    const verdict = withExternal(r.config.guard, evaluateGuard(r.config.guard, EMPTY_SUMMARY), polled(r, [10]));
    expect(verdict.status).toBe("inconclusive");
    expect(verdict.summary).toMatch(/^Not enough traffic on new to judge: .* External checks pass: queue_depth\.$/);
  });

  it("holds a stage while a check has not been polled since the last reset", () => {
    const r = rollout({
      percent: 10,
      stages: [
        { percent: 10, holdSeconds: 0 },
        { percent: 50, holdSeconds: 0 },
      ],
      guard: { external: [QUEUE] },
    });
    const waiting = evaluate(r, { checks: {}, probes: {} });
    expect(waiting.command).toBeUndefined();
    expect(waiting.plan).toMatchObject({ action: "wait", blocker: "guard", reason: "hold done, guard inconclusive: External checks not passing yet: queue_depth: no result yet." });
    expect(evaluate(r, { checks: polled(r, [10]), probes: {} }).command).toMatchObject({ type: "advance", percent: 50 });
  });

  it("leaves a guard without external checks exactly as it was", () => {
    const guard = RolloutConfigSchema.parse({ id: "r", origins: ORIGINS, guard: { maxErrorRate: 0.05 } }).guard;
    const traffic = evaluateGuard(guard, EMPTY_SUMMARY);
    expect(withExternal(guard, traffic, {})).toBe(traffic);
  });
});

describe("probes", () => {
  const staged = (percent: number, guard?: { action: "kill" | "pause" }) =>
    rollout({
      percent,
      probes: [HEALTH],
      stages: [
        { percent: 10, holdSeconds: 0, requireProbes: true },
        { percent: 50, holdSeconds: 0 },
      ],
      ...(guard ? { guard } : {}),
    });

  it("holds the first stage at 0% until every probe passed its last failureThreshold runs, then enters it", () => {
    const r = staged(0);
    expect(evaluate(r, { checks: {}, probes: probed([true]) }).plan).toMatchObject({
      blocker: "probes",
      reason: "waiting for probes before 10%: health: 1 of the 2 passing runs needed",
    });
    expect(evaluate(r, { checks: {}, probes: probed([false, true]) }).plan).toMatchObject({ blocker: "probes" });
    expect(evaluate(r, { checks: {}, probes: probed([false, true, true]) }).command).toMatchObject({ type: "advance", percent: 10 });
  });

  it("at 0%, a probe failing on new only holds the rollout: no pause, no kill", () => {
    const evaluation = evaluate(staged(0, { action: "kill" }), { checks: {}, probes: probed([false, false, false]) });
    expect(evaluation.command).toBeUndefined();
    expect(evaluation.plan).toMatchObject({ blocker: "probes", reason: expect.stringMatching(/^probes failing: probe health: GET \/health on new failed 3 times in a row/) });
  });

  it("once new has traffic, failureThreshold failures in a row pause without a guard, and kill with a kill guard", () => {
    // One failure is under the threshold: the schedule goes on (the next stage does not require probes).
    expect(evaluate(staged(10), { checks: {}, probes: probed([true, false]) }).command).toMatchObject({ type: "advance", percent: 50 });
    const paused = evaluate(staged(10), { checks: {}, probes: probed([true, false, false]) });
    expect(paused).toMatchObject({
      actor: "guard",
      command: { type: "pause", body: { reason: "probe health: GET /health on new failed 2 times in a row (last: HTTP 503, expected 200)." } },
    });
    expect(evaluate(staged(10, { action: "kill" }), { checks: {}, probes: probed([false, false]) }).command).toMatchObject({ type: "kill" });
  });

  it("shows the wait on the stage line", () => {
    const r = staged(0);
    expect(stageView(r, EMPTY_STATE.globalKill, {}, T0 + 1000, { checks: {}, probes: {} })?.waiting).toBe("waiting for probes before 10%: health: 0 of the 2 passing runs needed");
  });
});

describe("resets", () => {
  it("starts nothing afresh the first time, checks and probes after a resume or continue, only checks after a percentage change", () => {
    expect(resetDecision(T0, 10, undefined)).toEqual({ checks: false, probes: false, mark: { since: T0, percent: 10 } });
    const mark = { since: T0, percent: 10 };
    expect(resetDecision(T0, 10, mark)).toEqual({ checks: false, probes: false, mark });
    expect(resetDecision(T0 + 5000, 10, mark)).toEqual({ checks: true, probes: true, mark: { since: T0 + 5000, percent: 10 } });
    expect(resetDecision(T0 + 5000, 25, mark)).toEqual({ checks: true, probes: false, mark: { since: T0 + 5000, percent: 25 } });
  });
});

describe("the health report's external section", () => {
  it("shows each check's value, limit and verdict (+Inf as text) and each probe's runs", () => {
    const r = rollout({ percent: 10, probes: [HEALTH], guard: { external: [QUEUE] } });
    const checks = { queue_depth: applyResult(r.config.guard!.external![0]!, undefined, { ok: true, value: Infinity }, T0) };
    const report = externalReport(r, { checks, probes: probed([true, true]) }, T0);
    expect(report).toMatchObject({
      since: new Date(T0).toISOString(),
      checks: [{ name: "queue_depth", provider: "prometheus", limit: "max 5,000", verdict: "fail", value: null, valueText: "+Inf", error: null, failureLimit: 1 }],
      verdict: { status: "breach" },
      probes: [{ name: "health", variant: "new", results: [true, true], passing: true, lastStatus: 200 }],
      probesPassing: true,
      probeFailures: [],
    });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(externalReport(rollout({ percent: 10 }), { checks: {}, probes: {} }, T0)).toBeNull();
  });
});

describe("config rules", () => {
  const pointers = (input: unknown) => {
    const parsed = RolloutConfigSchema.safeParse(input);
    return parsed.success ? [] : toFieldIssues(parsed.error).map((i) => i.pointer);
  };

  it("refuses requireProbes without probes, pointing at the stage", () => {
    const stages = [
      { percent: 10, holdSeconds: 0 },
      { percent: 50, holdSeconds: 0, requireProbes: true },
    ];
    expect(pointers({ id: "r", origins: ORIGINS, stages })).toEqual(["/stages/1/requireProbes"]);
    expect(pointers({ id: "r", origins: ORIGINS, stages, probes: [HEALTH] })).toEqual([]);
  });

  it("refuses probes that could do nothing (no guard, no stages) and a probe timeout beyond the alarm's budget", () => {
    expect(pointers({ id: "r", origins: ORIGINS, probes: [HEALTH] })).toEqual(["/probes"]);
    expect(pointers({ id: "r", origins: ORIGINS, guard: {}, probes: [{ ...HEALTH, timeoutMs: 4001 }] })).toEqual(["/probes/0/timeoutMs"]);
  });
});
