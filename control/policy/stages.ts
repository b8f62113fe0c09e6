/**
 * Stages: an ordered plan of percentages with hold times (10 → 25 → 50 → 75 → 100), and the pure
 * scheduler that says whether a rollout moves to its next stage now, or why it waits.
 */
import { span } from "../../contracts/format";
import type { Verdict } from "../../contracts/guard";
import type { Stage } from "../../contracts/stages";

export type { Stage } from "../../contracts/stages";

/** The stage a percentage is at: the last stage at or below it, or -1 below the first. */
export function currentStageIndex(stages: readonly Stage[], percent: number): number {
  let index = -1;
  stages.forEach((s, i) => {
    if (s.percent <= percent) index = i;
  });
  return index;
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
}

export type StagePlan =
  | { action: "advance"; toIndex: number; percent: number; reason: string }
  | { action: "wait"; reason: string; dueAt: number | null }
  | { action: "complete"; reason: string };

/**
 * Whether to move to the next stage at `now`. `verdict` is the guard's verdict over the current
 * stage's hold (ignored without a guard). Moving onto the first stage needs no verdict: there is no
 * traffic on new to judge yet.
 */
export function planStage(stages: readonly Stage[], state: ScheduleState, verdict: Verdict | undefined, now: number): StagePlan {
  if (state.killed) return { action: "wait", reason: "killed: the schedule is stopped; resume restarts the current stage's hold", dueAt: null };
  const current = currentStageIndex(stages, state.percent);
  const nextIndex = stages.findIndex((s) => s.percent > state.percent);
  if (nextIndex === -1) return { action: "complete", reason: `complete: at ${state.percent}%, the last stage` };
  if (state.paused) return { action: "wait", reason: "paused: continue to resume the schedule", dueAt: null };
  const hold = current >= 0 ? stages[current]!.holdSeconds * 1000 : 0;
  const dueAt = state.percentSince + hold;
  const next = stages[nextIndex]!;
  if (now < dueAt) return { action: "wait", reason: `holding at ${state.percent}%: ${span(dueAt - now)} left before ${next.percent}%`, dueAt };
  if (current >= 0 && state.guarded && verdict) {
    if (verdict.status === "inconclusive") return { action: "wait", reason: `hold done, guard inconclusive: ${verdict.summary}`, dueAt };
    if (verdict.status === "breach") return { action: "wait", reason: `guard breach: ${verdict.summary}`, dueAt };
  }
  return {
    action: "advance",
    toIndex: nextIndex,
    percent: next.percent,
    reason:
      current >= 0
        ? `held ${stages[current]!.percent}% for ${span(now - state.percentSince)}${state.guarded && verdict ? `, guard ${verdict.status}` : ""}`
        : "starting the first stage",
  };
}
