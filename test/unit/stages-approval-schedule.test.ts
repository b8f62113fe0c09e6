/**
 * Go/no-go decision points and rollout windows: a stage that needs an operator's approval, and a
 * schedule (startAt, advance windows) that times every stage move, while kills, pauses and guards
 * act at any time.
 */
import { describe, expect, it } from "vitest";
import type { Verdict } from "../../contracts/guard";
import { StagesSchema } from "../../contracts/stages";
import { applyCommand, EMPTY_STATE, type Command, type ControlState } from "../../control/policy/commands";
import { addFlush, type HealthWindows } from "../../control/policy/health-windows";
import { evaluateRollouts, stageView } from "../../control/policy/schedule";
import { scheduleGate } from "../../control/policy/schedule-gate";
import { planStage } from "../../control/policy/stages";
import { newAccumulator, recordOutcome, takeFlush } from "../../edge/health-batcher";

const plan = StagesSchema.parse([
  { percent: 10, holdSeconds: 600 },
  { percent: 25, holdSeconds: 600, requiresApproval: true },
  { percent: 100, holdSeconds: 0 },
]);
const healthy = { status: "healthy", summary: "fine" } as Verdict;
const state = (percent: number, extra = {}) => ({ percent, percentSince: 0, paused: false, killed: false, guarded: true, ...extra });

describe("planStage: approval", () => {
  it("does not enter a stage that requires approval, however healthy the one before is", () => {
    expect(planStage(plan, state(10), healthy, 3_600_000)).toEqual({
      action: "wait",
      blocker: "approval",
      reason: "awaiting approval to enter 25%: the hold is done, guard healthy",
      dueAt: null,
    });
  });

  it("enters it once approved from this percentage, and not on an approval for another stage", () => {
    expect(planStage(plan, state(10, { approvedPercent: 25 }), healthy, 600_000)).toMatchObject({ action: "advance", percent: 25 });
    expect(planStage(plan, state(10, { approvedPercent: 100 }), healthy, 600_000)).toMatchObject({ action: "wait", blocker: "approval" });
  });

  it("says during the hold that the next stage will need an approval, and the hold still counts after one", () => {
    expect(planStage(plan, state(10), healthy, 570_000)).toMatchObject({ blocker: "hold", reason: "holding at 10%: 30 s left before 25%, which needs an operator's approval" });
    expect(planStage(plan, state(10, { approvedPercent: 25 }), healthy, 570_000)).toMatchObject({ blocker: "hold", reason: "holding at 10%: 30 s left before 25%" });
  });

  it("an approval does not override the guard: inconclusive still waits", () => {
    const inconclusive = { status: "inconclusive", summary: "37 of 100 requests" } as Verdict;
    expect(planStage(plan, state(10, { approvedPercent: 25 }), inconclusive, 600_000)).toMatchObject({ blocker: "guard" });
  });

  it("can hold back the first stage", () => {
    const first = StagesSchema.parse([
      { percent: 5, holdSeconds: 60, requiresApproval: true },
      { percent: 100, holdSeconds: 0 },
    ]);
    expect(planStage(first, state(0), undefined, 0)).toMatchObject({ blocker: "approval", reason: "awaiting approval to enter 5%: 5% is the first stage" });
  });
});

describe("planStage: schedule", () => {
  const mondayAfternoon = Date.parse("2025-06-02T15:00:00Z"); // 17:00 in Berlin
  const nights = { advanceWindows: [{ days: ["mon", "tue", "wed", "thu", "fri"] as const, from: "22:00", to: "06:00", timeZone: "Europe/Berlin" }] };
  const open = StagesSchema.parse([
    { percent: 10, holdSeconds: 600 },
    { percent: 50, holdSeconds: 0 },
  ]);
  const at = (now: number) => ({ ...state(10), percentSince: now - 3_600_000 });

  it("waits for the advance window with a hold done and a healthy guard, and says when it opens", () => {
    const gate = scheduleGate({ advanceWindows: nights.advanceWindows.map((w) => ({ ...w, days: [...w.days] })) }, mondayAfternoon);
    expect(planStage(open, at(mondayAfternoon), healthy, mondayAfternoon, gate)).toEqual({
      action: "wait",
      blocker: "schedule",
      reason: "waiting for the advance window mon–fri 22:00–06:00 Europe/Berlin: opens in 5 h, at 2025-06-02 22:00 Europe/Berlin",
      dueAt: Date.parse("2025-06-02T20:00:00Z"),
    });
  });

  it("asks for the approval before the window opens, so it can be given in daytime", () => {
    const gate = scheduleGate({ startAt: "2025-06-03T00:00:00Z" }, mondayAfternoon);
    expect(planStage(plan, state(10), healthy, mondayAfternoon, gate)).toMatchObject({ blocker: "approval" });
    expect(planStage(plan, state(10, { approvedPercent: 25 }), healthy, mondayAfternoon, gate)).toMatchObject({
      blocker: "schedule",
      reason: "scheduled to start at 2025-06-03T00:00:00Z (in 9 h)",
    });
  });
});

describe("the alarm and the approve command", () => {
  const t0 = Date.parse("2026-11-23T12:00:00Z"); // a Monday
  const origins = { legacy: "https://l.example", new: "https://n.example" };
  const run = (s: ControlState, command: Command, at: number, actor = "alice") => {
    const out = applyCommand(s, command, { now: new Date(at), actor });
    if (!out.ok) throw new Error(JSON.stringify(out.error));
    return out;
  };
  const created = (config: Record<string, unknown>) => run(EMPTY_STATE, { type: "put", id: "r", body: { origins, ...config } }, t0).state;
  const stages = [
    { percent: 10, holdSeconds: 60 },
    { percent: 50, holdSeconds: 60, requiresApproval: true },
    { percent: 100, holdSeconds: 0 },
  ];

  /** Healthy traffic from 50 users per variant, flushed at `at`. */
  function traffic(windows: HealthWindows, at: number, errorEvery = 0): HealthWindows {
    const acc = newAccumulator(at - 1000);
    for (let i = 1; i <= 50; i++) {
      recordOutcome(acc, "r", "new", { status: errorEvery && i % errorEvery === 0 ? 503 : 200, latencyMs: 20, user: `n-${at}-${i}`, clientIp: null });
      recordOutcome(acc, "r", "legacy", { status: 200, latencyMs: 20, user: `l-${at}-${i}`, clientIp: null });
    }
    return addFlush(windows, takeFlush(acc, at)!, at).windows;
  }

  it("stops a healthy rollout for approval, then enters the approved stage at the next check", () => {
    let s = created({ percent: 10, stages, guard: { minRequests: 20, maxErrorRate: 0.05 } });
    const windows = traffic(traffic({}, t0 + 30_000), t0 + 70_000);
    const [waiting] = evaluateRollouts(s, windows, t0 + 75_000);
    expect(waiting).toMatchObject({ plan: { action: "wait", blocker: "approval" } });
    expect(waiting!.command).toBeUndefined();
    expect(stageView(s.rollouts.get("r")!, s.globalKill, windows, t0 + 75_000)).toMatchObject({
      awaitingApproval: true,
      waiting: "awaiting approval to enter 50%: the hold is done, guard healthy",
    });

    const approved = run(s, { type: "approve", id: "r", body: { reason: "go/no-go passed" } }, t0 + 80_000);
    if (!approved.changed) throw new Error("expected a change");
    expect(approved.audit).toMatchObject({ action: "approve", actor: "alice", reason: "go/no-go passed", after: { approval: { percent: 50, fromPercent: 10, by: "alice" } } });
    s = approved.state;
    expect(stageView(s.rollouts.get("r")!, s.globalKill, windows, t0 + 80_000)).toMatchObject({ awaitingApproval: false, waiting: "moving to 50% at the next check" });
    const [moving] = evaluateRollouts(s, windows, t0 + 80_000);
    expect(moving!.command).toMatchObject({ type: "advance", percent: 50, reason: expect.stringMatching(/^stage: held 10% for 80 s, guard healthy, approved by alice$/) });
    s = run(s, moving!.command!, t0 + 80_000, "stages").state;
    // The approval was for 50%: it ends with the move, and the stage after needs none.
    expect(s.rollouts.get("r")).toMatchObject({ config: { percent: 50 }, approval: null });
  });

  it("refuses an approval when nothing waits for one, with 409 invalid-state, and stores nothing", () => {
    const s = created({ percent: 50, stages });
    const refused = (state: ControlState) => applyCommand(state, { type: "approve", id: "r", body: {} }, { now: new Date(t0), actor: "a" });
    expect(refused(s)).toEqual({ ok: false, error: { kind: "invalid-state", detail: 'the next stage of rollout "r" (100%) does not require approval: nothing waits for one' } });
    expect(refused(created({ percent: 100, stages }))).toMatchObject({
      error: { kind: "invalid-state", detail: 'rollout "r" is at its last stage (100%): there is nothing to approve' },
    });
    expect(refused(created({ percent: 10 }))).toMatchObject({ error: { kind: "invalid-state", detail: 'rollout "r" has no stages: there is nothing to approve' } });
    expect(applyCommand(s, { type: "approve", id: "r", body: { reason: 7 } }, { now: new Date(t0), actor: "a" })).toMatchObject({
      error: { kind: "invalid", issues: [{ pointer: "/reason" }] },
    });
    expect(applyCommand(s, { type: "approve", id: "ghost", body: {} }, { now: new Date(t0), actor: "a" })).toMatchObject({ error: { kind: "not-found" } });
  });

  it("keeps an approval across a kill and a pause, changes nothing when repeated, and drops it when the percentage changes", () => {
    let s = created({ percent: 10, stages });
    s = run(s, { type: "approve", id: "r", body: {} }, t0).state;
    const version = s.rollouts.get("r")!.version;
    expect(run(s, { type: "approve", id: "r", body: {} }, t0 + 1).changed).toBe(false);
    expect(applyCommand(s, { type: "approve", id: "r", body: {}, ifMatch: version - 1 }, { now: new Date(t0), actor: "a" })).toMatchObject({ error: { kind: "version-mismatch" } });
    for (const type of ["kill", "resume", "pause", "continue"] as const) s = run(s, { type, id: "r", body: {} }, t0 + 2).state;
    expect(s.rollouts.get("r")!.approval).toMatchObject({ percent: 50, fromPercent: 10 });
    s = run(s, { type: "patch", id: "r", patch: { percent: 20 } }, t0 + 3).state;
    expect(s.rollouts.get("r")!.approval).toBeNull();
    expect(stageView(s.rollouts.get("r")!, s.globalKill, {}, t0 + 3)).toMatchObject({ awaitingApproval: true });
  });

  it("kills a breaching rollout outside its advance window, while the window holds the next stage back", () => {
    // Monday 12:00 UTC: outside a night window in UTC.
    const schedule = { advanceWindows: [{ days: ["mon"], from: "22:00", to: "23:00" }] };
    const calm = created({ percent: 10, stages: stages.map(({ requiresApproval: _, ...st }) => st), schedule, guard: { minRequests: 20, maxErrorRate: 0.05 } });
    const windows = traffic(traffic({}, t0 + 30_000), t0 + 70_000);
    expect(evaluateRollouts(calm, windows, t0 + 75_000)[0]).toMatchObject({
      plan: { blocker: "schedule", reason: expect.stringMatching(/^waiting for the advance window mon 22:00–23:00 UTC: opens in 10 h/) },
    });
    const failing = traffic(traffic({}, t0 + 30_000, 4), t0 + 70_000, 4);
    expect(evaluateRollouts(calm, failing, t0 + 75_000)[0]).toMatchObject({ actor: "guard", command: { type: "kill" } });
  });

  it("does not enter the first stage before startAt", () => {
    const s = created({ percent: 0, stages, schedule: { startAt: "2026-11-23T15:00:00Z" } });
    expect(evaluateRollouts(s, {}, t0)[0]).toMatchObject({ plan: { blocker: "schedule", reason: "scheduled to start at 2026-11-23T15:00:00Z (in 3 h)" } });
    expect(evaluateRollouts(s, {}, Date.parse("2026-11-23T15:00:00Z"))[0]).toMatchObject({ command: { type: "advance", percent: 10 } });
  });

  it("refuses a schedule on a rollout without stages, at /schedule", () => {
    const out = applyCommand(EMPTY_STATE, { type: "put", id: "r", body: { origins, schedule: { startAt: "2026-11-23T15:00:00Z" } } }, { now: new Date(t0), actor: "a" });
    expect(out).toMatchObject({
      ok: false,
      error: { kind: "invalid", issues: [{ pointer: "/schedule", message: expect.stringMatching(/^is set, but this rollout has no stages/) }] },
    });
  });
});
