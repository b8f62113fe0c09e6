/**
 * Stages: an ordered plan of percentages with hold times (10 → 25 → 50 → 75 → 100), and the pure
 * scheduler that says whether a rollout moves to its next stage now, or why it waits: its hold,
 * its guard, an operator's approval, or its schedule.
 */
import { span } from "../../contracts/format";
import type { Verdict } from "../../contracts/guard";
import type { Stage } from "../../contracts/stages";
import type { ShadowCheck } from "./guard-shadow";
import { PROBES_PASSING, type ProbeGate } from "./external/watch";
import type { GateResult } from "./schedule-gate";

export type { Stage } from "../../contracts/stages";

/** The stage a percentage is at: the last stage at or below it, or -1 below the first. */
export function currentStageIndex(stages: readonly Stage[], percent: number): number {
  let index = -1;
  stages.forEach((s, i) => {
    if (s.percent <= percent) index = i;
  });
  return index;
}

/** The stage after `percent`, or undefined at the last one. */
export function nextStageOf(stages: readonly Stage[], percent: number): Stage | undefined {
  return stages.find((s) => s.percent > percent);
}

/** What the scheduler knows about a rollout. */
export interface ScheduleState {
  percent: number;
  /** When the percentage last changed (ms): the current stage's hold counts from here. */
  percentSince: number;
  paused: boolean;
  killed: boolean;
  /** The rollout has a guard: advancing needs a healthy verdict over the hold. */
  guarded: boolean;
  /** The stage percentage an operator approved from the current percentage, or null. */
  approvedPercent?: number | null;
}

/** What a waiting rollout waits for, in the order the scheduler checks. */
export type Blocker = "killed" | "paused" | "hold" | "guard" | "probes" | "shadow" | "approval" | "schedule";

export type StagePlan =
  | { action: "advance"; toIndex: number; percent: number; reason: string }
  | { action: "wait"; blocker: Blocker; reason: string; dueAt: number | null }
  | { action: "complete"; reason: string };

const OPEN: GateResult = { open: true };
const NO_SHADOW_CHECK: ShadowCheck = { ok: false, reason: "waiting for a shadow match: no shadow comparisons yet" };

/** Whether the next stage needs an approval that has not been given (from this percentage). */
export function awaitsApproval(stages: readonly Stage[], percent: number, approvedPercent: number | null | undefined): boolean {
  const next = nextStageOf(stages, percent);
  return !!next?.requiresApproval && approvedPercent !== next.percent;
}

/**
 * Whether to move to the next stage at `now`. In order: a kill or pause stops everything; the
 * current stage's hold; the guard's verdict over the hold (`verdict`, ignored without a guard);
 * the probes (`probes`: one failing on new holds every move, and a stage with `requireProbes`
 * waits until all passed their last runs); when the next stage has `requireShadowMatch`, the
 * shadow comparisons over the hold (`shadow`, ./guard-shadow.ts `shadowMatchCheck`; none given =
 * none made); an operator's approval when the next stage requires one; then the schedule's `gate`
 * (scheduleGate: `startAt` and advance windows). Moving onto the first stage needs no verdict:
 * there is no traffic on new to judge yet, but it does need its probes, its shadow match, its
 * approval and an open gate.
 */
export function planStage(
  stages: readonly Stage[],
  state: ScheduleState,
  verdict: Verdict | undefined,
  now: number,
  gate: GateResult = OPEN,
  shadow?: ShadowCheck,
  probes: ProbeGate = PROBES_PASSING,
): StagePlan {
  if (state.killed) return { action: "wait", blocker: "killed", reason: "killed: the schedule is stopped; resume restarts the current stage's hold", dueAt: null };
  const current = currentStageIndex(stages, state.percent);
  const nextIndex = stages.findIndex((s) => s.percent > state.percent);
  if (nextIndex === -1) return { action: "complete", reason: `complete: at ${state.percent}%, the last stage` };
  if (state.paused) return { action: "wait", blocker: "paused", reason: "paused: continue to resume the schedule", dueAt: null };
  const hold = current >= 0 ? stages[current]!.holdSeconds * 1000 : 0;
  const dueAt = state.percentSince + hold;
  const next = stages[nextIndex]!;
  const needsApproval = awaitsApproval(stages, state.percent, state.approvedPercent);
  if (now < dueAt) {
    const approval = needsApproval ? ", which needs an operator's approval" : "";
    return { action: "wait", blocker: "hold", reason: `holding at ${state.percent}%: ${span(dueAt - now)} left before ${next.percent}%${approval}`, dueAt };
  }
  const judged = current >= 0 && state.guarded && verdict;
  if (judged && verdict.status === "inconclusive") return { action: "wait", blocker: "guard", reason: `hold done, guard inconclusive: ${verdict.summary}`, dueAt };
  if (judged && verdict.status === "breach") return { action: "wait", blocker: "guard", reason: `guard breach: ${verdict.summary}`, dueAt };
  if (probes.failing) return { action: "wait", blocker: "probes", reason: `probes failing: ${probes.failing}`, dueAt: null };
  if (next.requireProbes && !probes.passing) {
    return { action: "wait", blocker: "probes", reason: `waiting for probes before ${next.percent}%: ${probes.waiting}`, dueAt: null };
  }
  const shadowNote = next.requireShadowMatch ? (shadow ?? NO_SHADOW_CHECK) : undefined;
  if (shadowNote && !shadowNote.ok) return { action: "wait", blocker: "shadow", reason: shadowNote.reason, dueAt };
  if (needsApproval) {
    const ready = current < 0 ? `${next.percent}% is the first stage` : `the hold is done${judged ? `, guard ${verdict.status}` : ""}`;
    return { action: "wait", blocker: "approval", reason: `awaiting approval to enter ${next.percent}%: ${ready}`, dueAt: null };
  }
  if (!gate.open) return { action: "wait", blocker: "schedule", reason: gate.reason, dueAt: gate.opensAt };
  return {
    action: "advance",
    toIndex: nextIndex,
    percent: next.percent,
    reason:
      (current >= 0
        ? `held ${stages[current]!.percent}% for ${span(now - state.percentSince)}${state.guarded && verdict ? `, guard ${verdict.status}` : ""}`
        : "starting the first stage") + (shadowNote?.ok ? `, ${shadowNote.note}` : ""),
  };
}
