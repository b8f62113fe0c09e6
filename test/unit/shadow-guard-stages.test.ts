/**
 * The control plane's judgement of shadow results, pure: the guard's maxMismatchRate, a stage's
 * requireShadowMatch (in its place among the scheduler's checks), and the windows that keep the
 * results bounded per rollout and slot.
 */
import { describe, expect, it } from "vitest";
import { GuardSchema } from "../../contracts/guard";
import type { HealthSummary, VariantSummary } from "../../contracts/health";
import { mergeFlushes } from "../../contracts/health";
import { RolloutConfigSchema } from "../../contracts/rollout";
import { MAX_SHADOW_EXAMPLES, newShadowAccumulator, recordShadow, takeShadowFlush, type ShadowFlush, type ShadowTotals } from "../../contracts/shadow-stats";
import { evaluateGuard } from "../../control/policy/guard";
import { mismatchBreach, shadowMatchCheck } from "../../control/policy/guard-shadow";
import { RETENTION_MS } from "../../control/policy/health-windows";
import { addShadowFlush, forgetShadow, pruneShadow, shadowReportOver, shadowTotalsOver, type ShadowWindows } from "../../control/policy/shadow-windows";
import { planStage, type ScheduleState } from "../../control/policy/stages";
import { newAccumulator, recordOutcome, shouldFlush, takeFlush } from "../../edge/health-batcher";

const guard = (g: Record<string, unknown>) => GuardSchema.parse(g);
const totals = (compared: number, mismatched: number, errors = 0): ShadowTotals => ({ compared, mismatched, errors, mismatchRate: compared ? mismatched / compared : null });
const quiet: VariantSummary = { requests: 0, errors: 0, clientErrors: 0, errorRate: null, p50: null, p95: null, p99: null, users: 0, errorUsers: 0, errorIps: 0 };
const noTraffic: HealthSummary = { windowSeconds: 60, legacy: quiet, new: quiet };
const T0 = Date.parse("2026-03-02T10:00:00Z");

/** A flush of `matched` and `mismatched` comparisons of `id` under `prefix`, stamped `at`. */
function flushOf(id: string, matched: number, mismatched: number, at: number, prefix = "/"): ShadowFlush {
  const acc = newShadowAccumulator();
  const facts = { latencyMs: { legacy: 10, new: 12 }, method: "GET", path: "/x", legacyStatus: 200, newStatus: 200 };
  for (let i = 0; i < matched; i++) recordShadow(acc, id, prefix, { kind: "match", at: new Date(at).toISOString(), ...facts });
  for (let i = 0; i < mismatched; i++) {
    recordShadow(acc, id, prefix, { kind: "body", pointer: `/items/${i}`, legacyValue: "1", newValue: "2", at: new Date(at + i).toISOString(), ...facts });
  }
  return takeShadowFlush(acc);
}

describe("the guard's maxMismatchRate", () => {
  const g = guard({ minRequests: 100, maxMismatchRate: 0.02 });

  it("breaches above the limit on enough comparisons, even with no traffic on new at all (a rollout at 0%)", () => {
    const v = evaluateGuard(g, noTraffic, totals(400, 12));
    expect(v.status).toBe("breach");
    expect(v.breaches).toEqual([expect.objectContaining({ limit: "maxMismatchRate", threshold: 0.02, value: 0.03 })]);
    expect(v.summary).toBe("shadow mismatch rate 3.0% over 60 s (12 of 400 comparisons differed) exceeds maxMismatchRate 2.0%.");
    expect(v.shadow).toEqual(totals(400, 12));
  });

  it("does not breach at the limit, nor on fewer comparisons than minRequests, and says how many it has", () => {
    expect(mismatchBreach(g, totals(400, 8), 60)).toBeUndefined();
    expect(mismatchBreach(g, totals(400, 9), 60)).toBeDefined();
    const few = evaluateGuard(g, noTraffic, totals(99, 99));
    expect(few.status).toBe("inconclusive");
    expect(few.summary).toMatch(/ Shadow: 99 of 100 comparisons needed to judge maxMismatchRate\.$/);
  });

  it("keeps a health breach and adds the mismatch to it", () => {
    const failing: VariantSummary = { ...quiet, requests: 500, errors: 100, errorRate: 0.2, users: 40, errorUsers: 20, p50: 5, p95: 9, p99: 10 };
    const v = evaluateGuard(guard({ minRequests: 100, maxErrorRate: 0.05, maxMismatchRate: 0.02 }), { ...noTraffic, new: failing }, totals(200, 100));
    expect(v.breaches.map((b) => b.limit)).toEqual(["maxErrorRate", "maxMismatchRate"]);
    expect(v.summary).toMatch(/exceeds maxErrorRate 5\.0%.*; shadow mismatch rate 50\.0% .* exceeds maxMismatchRate 2\.0%\.$/);
  });

  it("changes nothing for a guard without it, whatever the comparisons say", () => {
    const plain = guard({ minRequests: 100, maxErrorRate: 0.05 });
    expect(evaluateGuard(plain, noTraffic, totals(1000, 1000))).toEqual(evaluateGuard(plain, noTraffic));
  });
});

describe("a stage's shadow check", () => {
  const g = guard({ minRequests: 50, maxMismatchRate: 0.01 });
  it("lets the stage in at most at the limit, so that a limit of 0 lets a perfect match through", () => {
    expect(shadowMatchCheck(g, totals(100, 1), 60_000, 10)).toEqual({ ok: true, note: "shadow mismatch rate 1.0% (1 of 100 comparisons differed)" });
    expect(shadowMatchCheck(g, totals(100, 2), 60_000, 10)).toEqual({
      ok: false,
      reason: "waiting for a shadow match to enter 10%: mismatch rate 2.0% over 60 s (2 of 100 comparisons differed) is above maxMismatchRate 1.0%",
    });
    expect(shadowMatchCheck(guard({ minRequests: 50, maxMismatchRate: 0 }), totals(60, 0), 60_000, 10)).toMatchObject({ ok: true });
  });

  it("is inconclusive on too few comparisons, and counts the mirrors new never answered apart", () => {
    expect(shadowMatchCheck(g, totals(49, 0, 7), 300_000, 25)).toEqual({
      ok: false,
      reason: "waiting for a shadow match to enter 25%: inconclusive, 49 of 50 comparisons needed over 5 min, 7 mirrors unanswered",
    });
  });
});

describe("planStage with a stage that requires a shadow match", () => {
  const stages = [
    { percent: 10, holdSeconds: 60, requireShadowMatch: true },
    { percent: 50, holdSeconds: 60, requireShadowMatch: true, requiresApproval: true },
    { percent: 100, holdSeconds: 0 },
  ];
  const state = (percent: number, extra: Partial<ScheduleState> = {}): ScheduleState => ({ percent, percentSince: 0, paused: false, killed: false, guarded: true, ...extra });
  const healthy = { status: "healthy", summary: "fine" } as ReturnType<typeof evaluateGuard>;
  const waiting = { ok: false as const, reason: "waiting for a shadow match to enter 10%: inconclusive" };
  const matched = { ok: true as const, note: "shadow mismatch rate 0.0% (0 of 80 comparisons differed)" };

  it("keeps the first stage shut until the check passes, and says so in the advance", () => {
    expect(planStage(stages, state(0), undefined, 0, undefined, waiting)).toEqual({ action: "wait", blocker: "shadow", reason: waiting.reason, dueAt: 0 });
    expect(planStage(stages, state(0), undefined, 0)).toMatchObject({ blocker: "shadow", reason: "waiting for a shadow match: no shadow comparisons yet" });
    expect(planStage(stages, state(0), undefined, 0, undefined, matched)).toMatchObject({
      action: "advance",
      percent: 10,
      reason: "starting the first stage, shadow mismatch rate 0.0% (0 of 80 comparisons differed)",
    });
  });

  it("checks the hold and the guard first, and the approval after", () => {
    expect(planStage(stages, state(10), healthy, 30_000, undefined, waiting)).toMatchObject({ blocker: "hold" });
    expect(planStage(stages, state(10), { ...healthy, status: "breach" }, 60_000, undefined, waiting)).toMatchObject({ blocker: "guard" });
    expect(planStage(stages, state(10), healthy, 60_000, undefined, waiting)).toMatchObject({ blocker: "shadow" });
    expect(planStage(stages, state(10), healthy, 60_000, undefined, matched)).toMatchObject({ blocker: "approval" });
    expect(planStage(stages, state(10, { approvedPercent: 50 }), healthy, 60_000, undefined, matched)).toMatchObject({ action: "advance", percent: 50 });
  });

  it("ignores the check for a stage that does not require it", () => {
    expect(planStage(stages, state(50), healthy, 60_000, undefined, waiting)).toMatchObject({ action: "advance", percent: 100 });
  });
});

describe("shadow windows in the control plane", () => {
  it("merges flushes of one slot into one row per rollout, keeps prefixes apart, and touches only what changed", () => {
    let w: ShadowWindows = {};
    const first = addShadowFlush(w, flushOf("a", 3, 1, T0, "/api"), T0 + 1000);
    w = addShadowFlush(first.windows, flushOf("a", 2, 0, T0, "/"), T0 + 4000).windows;
    const second = addShadowFlush(w, flushOf("b", 1, 0, T0), T0 + 12_000);
    w = second.windows;
    expect(w.a!.slots).toHaveLength(1);
    expect(Object.keys(w.a!.slots[0]!.prefixes).sort()).toEqual(["/", "/api"]);
    expect(second.touched.map((t) => t.rolloutId)).toEqual(["b"]);
    expect(second.touched[0]!.examples).toBeUndefined(); // no mismatch: the examples row is left alone
    expect(shadowTotalsOver(w, "a", 60, T0 + 12_000)).toEqual(totals(6, 1));
  });

  it("keeps the newest examples only, however many mismatches arrive", () => {
    let w: ShadowWindows = {};
    for (let i = 0; i < 10; i++) w = addShadowFlush(w, flushOf("a", 0, 5, T0 + i * 1000), T0 + i * 1000).windows;
    expect(w.a!.examples).toHaveLength(MAX_SHADOW_EXAMPLES);
    expect(w.a!.examples[0]!.at).toBe(new Date(T0 + 9000 + 4).toISOString());
    expect(shadowReportOver(w, "a", 300, T0 + 10_000).examples).toHaveLength(MAX_SHADOW_EXAMPLES);
  });

  it("shows only the window asked for, counts only from `since` on, and forgets what is past the retention", () => {
    let w: ShadowWindows = {};
    w = addShadowFlush(w, flushOf("a", 0, 4, T0), T0).windows;
    w = addShadowFlush(w, flushOf("a", 6, 0, T0 + 120_000), T0 + 120_000).windows;
    const now = T0 + 125_000;
    const recent = shadowReportOver(w, "a", 60, now);
    expect(recent.totals).toEqual(totals(6, 0));
    expect(recent.examples).toEqual([]);
    expect(recent.windowSeconds).toBe(60);
    expect(shadowReportOver(w, "a", 300, now).totals).toEqual(totals(10, 4));
    expect(shadowTotalsOver(w, "a", 300, now, T0 + 60_000)).toEqual(totals(6, 0));
    expect(pruneShadow(w, T0 + RETENTION_MS + 1000).a!.slots.map((s) => s.start)).toEqual([T0 + 120_000]);
    expect(pruneShadow(w, T0 + RETENTION_MS + 200_000)).toEqual({});
    expect(forgetShadow(w, "a")).toEqual({});
  });

  it("travels with health: a flush with only comparisons is sent, and replicas merge both", () => {
    const acc = newAccumulator(0);
    recordShadow(acc.shadow, "a", "/", { kind: "error" });
    expect(shouldFlush(acc, 1000)).toBe(true);
    const flush = takeFlush(acc, 1000)!;
    expect(flush.shadow?.rollouts.a?.prefixes["/"]?.errors).toBe(1);
    expect(takeFlush(acc, 3000)).toBeUndefined();
    recordOutcome(acc, "a", "legacy", { status: 200, latencyMs: 5, user: null, clientIp: null });
    const healthOnly = takeFlush(acc, 5000)!;
    expect(healthOnly.shadow).toBeUndefined();
    const merged = mergeFlushes(mergeFlushes(healthOnly, flush), { rollouts: {}, shadow: flushOf("a", 2, 1, T0) });
    expect(merged.shadow?.rollouts.a?.prefixes["/"]).toMatchObject({ mirrored: 4, matched: 2, mismatched: 1, errors: 1 });
    expect(Object.keys(merged.rollouts)).toEqual(["a"]);
  });
});

describe("the rollout's shadow field", () => {
  const base = { id: "r", origins: { legacy: "https://old.example", new: "https://new.example" } };
  it("is optional, and takes the documented defaults from a percentage", () => {
    expect(RolloutConfigSchema.parse(base).shadow).toBeUndefined();
    expect(RolloutConfigSchema.parse({ ...base, shadow: { percent: 5 } }).shadow).toEqual({
      percent: 5,
      methods: ["GET", "HEAD"],
      compare: { status: true, headers: [], body: "json", ignore: [] },
      maxConcurrent: 10,
      forwardCredentials: false,
    });
  });

  it("lets a stage require a shadow match only with shadow traffic and a guard that sets maxMismatchRate", () => {
    const stages = [{ percent: 10, holdSeconds: 60, requireShadowMatch: true }];
    const ok = RolloutConfigSchema.safeParse({ ...base, stages, shadow: { percent: 10 }, guard: { maxMismatchRate: 0.01 } });
    expect(ok.success).toBe(true);
    const off = RolloutConfigSchema.safeParse({ ...base, stages, shadow: { percent: 0 }, guard: { maxMismatchRate: 0.01 } });
    expect(off.error?.issues.map((i) => i.path.join("/"))).toEqual(["stages/0/requireShadowMatch"]);
  });
});
