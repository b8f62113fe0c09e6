import { describe, expect, it } from "vitest";
import { applyCommand, EMPTY_STATE, type ControlState } from "../../control/policy/commands";
import { evaluateRollouts, rolloutStatus, stageView } from "../../control/policy/schedule";
import { evaluateGuard } from "../../control/policy/guard";
import { GuardSchema } from "../../contracts/guard";
import { addFlush, summarize, type HealthWindows } from "../../control/policy/health-windows";
import type { HealthSummary, VariantSummary } from "../../contracts/health";
import { newAccumulator, recordOutcome, takeFlush } from "../../edge/health-batcher";
import { planStage } from "../../control/policy/stages";
import { StagesSchema } from "../../contracts/stages";

/** A variant's summary; 40 users, 12 of whom saw errors when there are errors, unless told. */
const variant = (requests: number, errorRate: number, p95: number, p99 = p95 * 1.3, who: Partial<VariantSummary> = {}): VariantSummary => ({
  requests,
  errors: Math.round(requests * errorRate),
  clientErrors: 0,
  errorRate: requests ? errorRate : null,
  p50: requests ? p95 / 2 : null,
  p95: requests ? p95 : null,
  p99: requests ? p99 : null,
  users: requests ? 40 : 0,
  errorUsers: requests && errorRate ? 12 : 0,
  errorIps: requests && errorRate ? 9 : 0,
  ...who,
});
const summary = (legacy: VariantSummary, next: VariantSummary): HealthSummary => ({ windowSeconds: 60, legacy, new: next });
const guard = (g: Record<string, unknown>) => GuardSchema.parse(g);

describe("guard verdicts", () => {
  it("breaches maxErrorRate when new fails 20% of requests, with the numbers behind it", () => {
    const v = evaluateGuard(guard({ minRequests: 100, maxErrorRate: 0.05 }), summary(variant(3980, 0.004, 40), variant(1204, 0.201, 42)));
    expect(v.status).toBe("breach");
    expect(v.breaches).toEqual([expect.objectContaining({ limit: "maxErrorRate", threshold: 0.05, value: 0.201, baseline: 0.004 })]);
    expect(v.summary).toBe("new error rate 20.1% over 60 s (n=1,204, 40 users, errors from 12 users) exceeds maxErrorRate 5.0% (legacy 0.40%, n=3,980).");
  });

  it("is inconclusive, never a breach, with too little traffic on new", () => {
    const v = evaluateGuard(guard({ minRequests: 100, maxErrorRate: 0.05 }), summary(variant(5000, 0, 40), variant(37, 0.5, 40)));
    expect(v.status).toBe("inconclusive");
    expect(v.summary).toMatch(/37 of 100 requests/);
  });

  it("trips the p95 delta when new is 300 ms slower than legacy", () => {
    const v = evaluateGuard(guard({ minRequests: 50, maxP95DeltaMs: 100 }), summary(variant(500, 0, 45), variant(500, 0, 345)));
    expect(v.status).toBe("breach");
    expect(v.breaches[0]).toMatchObject({ limit: "maxP95DeltaMs", value: 300, baseline: 45 });
    expect(v.summary).toMatch(/new p95 345 ms is 300 ms slower than legacy's 45 ms/);
  });

  it("trips the error-rate delta against legacy's baseline", () => {
    const v = evaluateGuard(guard({ minRequests: 50, maxErrorRateDelta: 0.01 }), summary(variant(500, 0.02, 45), variant(500, 0.04, 45)));
    expect(v.breaches[0]).toMatchObject({ limit: "maxErrorRateDelta" });
    expect(v.breaches[0]!.value).toBeCloseTo(0.02);
  });

  it("checks absolute p95 and p99 limits", () => {
    const v = evaluateGuard(guard({ minRequests: 10, maxP95Ms: 200, maxP99Ms: 300 }), summary(variant(100, 0, 50), variant(100, 0, 250, 280)));
    expect(v.breaches.map((b) => b.limit)).toEqual(["maxP95Ms"]);
  });

  it("is healthy within limits and says so with numbers", () => {
    const v = evaluateGuard(guard({ minRequests: 100, maxErrorRate: 0.05, maxP95DeltaMs: 100 }), summary(variant(1000, 0.01, 40), variant(1000, 0.012, 60)));
    expect(v.status).toBe("healthy");
    expect(v.summary).toMatch(/^Within limits over 60 s: new error rate 1\.2%, p95 60 ms, n=1,000, 40 users; legacy 1\.0%, p95 40 ms, n=1,000\.$/);
  });

  it("skips delta limits without enough legacy traffic (at 100%), inconclusive if that is all there is", () => {
    const onlyDelta = evaluateGuard(guard({ minRequests: 100, maxP95DeltaMs: 50 }), summary(variant(3, 0, 40), variant(2000, 0, 400)));
    expect(onlyDelta.status).toBe("inconclusive");
    const mixed = evaluateGuard(guard({ minRequests: 100, maxP95DeltaMs: 50, maxErrorRate: 0.1 }), summary(variant(3, 0, 40), variant(2000, 0, 400)));
    expect(mixed).toMatchObject({ status: "healthy", skipped: ["maxP95DeltaMs"] });
  });

  it("validates guard config with clear messages", () => {
    expect(GuardSchema.safeParse({ maxErrorRate: 5 }).error?.issues[0]?.message).toMatch(/fraction from 0 to 1/);
    expect(GuardSchema.safeParse({ windowSeconds: 5 }).error?.issues[0]?.message).toMatch(/at least 10 s/);
    expect(GuardSchema.safeParse({ action: "explode" }).success).toBe(false);
    expect(GuardSchema.safeParse({ maxErrorRte: 0.1 }).success).toBe(false);
    expect(GuardSchema.parse({})).toEqual({ windowSeconds: 60, minRequests: 100, minUsers: 5, action: "kill" });
    expect(GuardSchema.safeParse({ minUsers: 0 }).error?.issues[0]?.message).toBe("must be at least 1");
    expect(GuardSchema.safeParse({ minClientIps: 2.5 }).error?.issues[0]?.message).toBe("must be a whole number");
  });
});

describe("stage scheduler", () => {
  const plan = StagesSchema.parse([
    { percent: 10, holdSeconds: 600 },
    { percent: 25, holdSeconds: 600 },
    { percent: 50, holdSeconds: 1800 },
    { percent: 75, holdSeconds: 1800 },
    { percent: 100, holdSeconds: 0 },
  ]);
  const healthy = { status: "healthy" } as ReturnType<typeof evaluateGuard>;
  const state = (percent: number, since = 0, extra = {}) => ({ percent, percentSince: since, paused: false, killed: false, guarded: true, ...extra });

  it("starts the first stage at once, without waiting for a verdict", () => {
    expect(planStage(plan, state(0), undefined, 0)).toMatchObject({ action: "advance", percent: 10 });
  });

  it("holds each stage for its hold time, then moves on when the guard is healthy", () => {
    expect(planStage(plan, state(10, 0), healthy, 599_000)).toMatchObject({ action: "wait", dueAt: 600_000, reason: expect.stringMatching(/holding at 10%: 1 s left before 25%/) });
    expect(planStage(plan, state(10, 0), healthy, 600_000)).toMatchObject({ action: "advance", toIndex: 1, percent: 25 });
  });

  it("waits while the guard is inconclusive or in breach", () => {
    const inconclusive = { status: "inconclusive", summary: "need 100, have 37" } as ReturnType<typeof evaluateGuard>;
    expect(planStage(plan, state(25, 0), inconclusive, 700_000)).toMatchObject({ action: "wait", reason: expect.stringMatching(/guard inconclusive: need 100, have 37/) });
    expect(planStage(plan, state(25, 0), { status: "breach", summary: "x" } as ReturnType<typeof evaluateGuard>, 700_000).action).toBe("wait");
  });

  it("does not move while paused or killed, and is complete at the last stage", () => {
    expect(planStage(plan, state(25, 0, { paused: true }), healthy, 1e9)).toMatchObject({ action: "wait", reason: expect.stringMatching(/^paused/) });
    expect(planStage(plan, state(25, 0, { killed: true }), healthy, 1e9)).toMatchObject({ action: "wait", reason: expect.stringMatching(/^killed/) });
    expect(planStage(plan, state(100, 0), healthy, 1e9)).toMatchObject({ action: "complete" });
  });

  it("refuses stages whose percentages do not increase", () => {
    const bad = StagesSchema.safeParse([
      { percent: 25, holdSeconds: 1 },
      { percent: 10, holdSeconds: 1 },
    ]);
    expect(bad.error?.issues[0]?.message).toBe("percentages must increase from stage to stage");
    expect(StagesSchema.safeParse([]).success).toBe(false);
  });
});

describe("the alarm's decisions", () => {
  const t0 = Date.parse("2026-11-22T12:00:00Z");
  const ctx = (at: number, actor = "ops") => ({ now: new Date(at), actor });
  const origins = { legacy: "https://l.example", new: "https://n.example" };

  function created(config: Record<string, unknown>): ControlState {
    const out = applyCommand(EMPTY_STATE, { type: "put", id: "r", body: { origins, ...config } }, ctx(t0));
    if (!out.ok) throw new Error(JSON.stringify(out.error));
    return out.state;
  }

  function traffic(windows: HealthWindows, at: number, newRequests: number, newErrorEvery: number, legacyRequests: number, newLatency = 20): HealthWindows {
    const acc = newAccumulator(at - 2000);
    for (let i = 1; i <= newRequests; i++)
      recordOutcome(acc, "r", "new", { status: newErrorEvery && i % newErrorEvery === 0 ? 503 : 200, latencyMs: newLatency, user: `n-${at}-${i}`, clientIp: null });
    for (let i = 0; i < legacyRequests; i++) recordOutcome(acc, "r", "legacy", { status: 200, latencyMs: 20, user: `l-${at}-${i}`, clientIp: null });
    return addFlush(windows, takeFlush(acc, at)!, at).windows;
  }

  it("kills a rollout whose new variant fails 20%, with an audit entry that reads like an incident note", () => {
    let state = created({ percent: 50, guard: { windowSeconds: 30, minRequests: 50, maxErrorRate: 0.05 } });
    const windows = traffic({}, t0 + 1000, 200, 5, 200);
    const [evaluation] = evaluateRollouts(state, windows, t0 + 2000);
    expect(evaluation).toMatchObject({ actor: "guard", command: { type: "kill", id: "r" } });
    const out = applyCommand(state, evaluation!.command!, ctx(t0 + 2000, "guard"));
    if (!out.ok || !out.changed) throw new Error("expected a kill");
    state = out.state;
    expect(state.rollouts.get("r")!.config.killed).toBe(true);
    expect(out.audit).toMatchObject({ actor: "guard", action: "kill" });
    expect(out.audit.reason).toMatch(
      /^guard maxErrorRate: new error rate 20\.0% over 10 s \(n=200, (\d+) users, errors from (\d+) users\) exceeds maxErrorRate 5\.0% \(legacy 0\.0%, n=200\)\.$/,
    );
    // 200 distinct users, one in five of whom saw an error, counted to within 3%; only the one
    // slot since the rollout was created (10 s) counts.
    const [, users, errorUsers] = out.audit.reason!.match(/(\d+) users, errors from (\d+)/)!.map(Number);
    expect(Math.abs(users! - 200)).toBeLessThanOrEqual(6);
    expect(Math.abs(errorUsers! - 40)).toBeLessThanOrEqual(2);
    // Once killed, it is no longer evaluated.
    expect(evaluateRollouts(state, windows, t0 + 3000)).toEqual([]);
  });

  it("does nothing but report inconclusive with too little traffic", () => {
    const state = created({ percent: 50, guard: { minRequests: 100, maxErrorRate: 0.05 } });
    const [evaluation] = evaluateRollouts(state, traffic({}, t0 + 1000, 30, 2, 30), t0 + 2000);
    expect(evaluation!.verdict.status).toBe("inconclusive");
    expect(evaluation!.command).toBeUndefined();
  });

  it("pauses instead of killing when the guard's action is pause", () => {
    const state = created({
      percent: 10,
      stages: [
        { percent: 10, holdSeconds: 60 },
        { percent: 50, holdSeconds: 60 },
      ],
      guard: { minRequests: 10, maxErrorRate: 0.05, action: "pause" },
    });
    const [evaluation] = evaluateRollouts(state, traffic({}, t0 + 1000, 100, 5, 100), t0 + 2000);
    expect(evaluation!.command).toMatchObject({ type: "pause" });
  });

  it("walks a healthy rollout through every stage to 100%", () => {
    let state = created({
      percent: 0,
      stages: [
        { percent: 10, holdSeconds: 60 },
        { percent: 25, holdSeconds: 60 },
        { percent: 50, holdSeconds: 60 },
        { percent: 75, holdSeconds: 60 },
        { percent: 100, holdSeconds: 0 },
      ],
      guard: { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05 },
    });
    let windows: HealthWindows = {};
    const walked: number[] = [];
    for (let t = t0; t < t0 + 600_000 && state.rollouts.get("r")!.config.percent < 100; t += 5000) {
      windows = traffic(windows, t, 20, 0, 20);
      for (const e of evaluateRollouts(state, windows, t)) {
        if (!e.command) continue;
        const out = applyCommand(state, e.command, ctx(t, e.actor));
        if (out.ok && out.changed) {
          state = out.state;
          walked.push(state.rollouts.get("r")!.config.percent);
        }
      }
    }
    expect(walked).toEqual([10, 25, 50, 75, 100]);
    expect(rolloutStatus(state.rollouts.get("r")!, state.globalKill)).toBe("complete");
  });

  it("shows the current stage, when the next is due and why it waits", () => {
    const state = created({
      percent: 10,
      stages: [
        { percent: 10, holdSeconds: 600 },
        { percent: 50, holdSeconds: 600 },
      ],
    });
    const view = stageView(state.rollouts.get("r")!, state.globalKill, {}, t0 + 60_000);
    expect(view).toMatchObject({
      index: 0,
      count: 2,
      percent: 10,
      holdSeconds: 600,
      nextPercent: 50,
      nextDueAt: new Date(t0 + 600_000).toISOString(),
      waiting: "holding at 10%: 9 min left before 50%",
    });
  });

  it("lets operators pause, continue and promote, and restarts the hold on resume after a kill", () => {
    let state = created({
      percent: 10,
      stages: [
        { percent: 10, holdSeconds: 600 },
        { percent: 50, holdSeconds: 600 },
        { percent: 100, holdSeconds: 0 },
      ],
    });
    const run = (command: Parameters<typeof applyCommand>[1], at: number) => {
      const out = applyCommand(state, command, ctx(at));
      if (!out.ok) throw new Error(JSON.stringify(out.error));
      state = out.state;
      return out;
    };
    run({ type: "pause", id: "r", body: { reason: "waiting for the on-call" } }, t0 + 1000);
    expect(rolloutStatus(state.rollouts.get("r")!, state.globalKill)).toBe("paused");
    // Long past the hold, a paused rollout does not move.
    const [whilePaused] = evaluateRollouts(state, {}, t0 + 700_000);
    expect(whilePaused).toMatchObject({ plan: { action: "wait", reason: expect.stringMatching(/^paused/) } });
    expect(whilePaused!.command).toBeUndefined();
    run({ type: "continue", id: "r", body: {} }, t0 + 2000);
    const promoted = run({ type: "promote", id: "r", body: {} }, t0 + 3000);
    expect(promoted.ok && promoted.rollout!.config.percent).toBe(50);
    expect(state.rollouts.get("r")!.percentSince).toBe(new Date(t0 + 3000).toISOString());
    run({ type: "kill", id: "r", body: { reason: "x" } }, t0 + 4000);
    run({ type: "resume", id: "r", body: {} }, t0 + 900_000);
    expect(state.rollouts.get("r")!.percentSince).toBe(new Date(t0 + 900_000).toISOString());
    run({ type: "promote", id: "r", body: {} }, t0 + 900_001);
    const last = applyCommand(state, { type: "promote", id: "r", body: {} }, ctx(t0 + 900_002));
    expect(last).toMatchObject({ ok: false, error: { kind: "invalid-state", detail: expect.stringMatching(/last stage/) } });
  });

  it("refuses pause, continue and promote on a rollout without stages", () => {
    const state = created({ percent: 10 });
    for (const type of ["pause", "continue", "promote"] as const) {
      expect(applyCommand(state, { type, id: "r", body: {} }, ctx(t0))).toMatchObject({ ok: false, error: { kind: "invalid-state" } });
    }
  });

  it("reads the summary the guard uses over the requested window", () => {
    const windows = traffic({}, t0, 100, 10, 100);
    expect(summarize(windows, "r", 60, t0 + 1000).new.errorRate).toBeCloseTo(0.1);
  });
});
