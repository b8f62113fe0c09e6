/**
 * What the Durable Object's alarm decides for each guarded or staged rollout, and how a rollout's
 * status and stage read. Pure: state, health (and shadow) windows and `now` in; verdicts, plans
 * and the commands to apply out.
 */
import type { RolloutStatus, StageView } from "../../contracts/admin-wire";
import type { Verdict } from "../../contracts/guard";
import { evaluateGuard } from "./guard";
import { shadowMatchCheck, type ShadowCheck } from "./guard-shadow";
import { shadowTotalsOver, type ShadowWindows } from "./shadow-windows";
import { RETENTION_MS, summarize, type HealthWindows } from "./health-windows";
import type { GlobalKill, StoredRollout } from "../../contracts/rollout";
import { awaitsApproval, currentStageIndex, planStage, type StagePlan } from "./stages";
import type { Command, ControlState } from "./commands";
import { scheduleGate } from "./schedule-gate";
import { breachReason, NO_EXTERNAL, probeAction, probeBreach, probeGate, withExternal, type ExternalInputs } from "./external/watch";

/** How often the alarm evaluates guards and stages while any rollout has one. */
export const GUARD_INTERVAL_MS = 5000;

export function rolloutStatus(r: StoredRollout, globalKill: GlobalKill): RolloutStatus {
  if (r.config.killed || globalKill.killed) return "killed";
  if (r.paused) return "paused";
  const stages = r.config.stages;
  if (r.config.percent >= 100 || (stages && !stages.some((s) => s.percent > r.config.percent))) return "complete";
  return "live";
}

/** Whether the alarm has anything to watch on this rollout. */
export function isWatched(r: StoredRollout): boolean {
  return !!(r.config.guard || r.config.stages || r.config.probes?.length);
}

/** Whether the alarm must keep checking: a rollout not killed has a guard, stages or probes. */
export function anyWatched(state: ControlState): boolean {
  return [...state.rollouts.values()].some((r) => isWatched(r) && !r.config.killed);
}

/**
 * When the alarm runs next: the next check while anyWatched, or the next due webhook delivery
 * (`due`), whichever comes first; null when neither.
 */
export function nextAlarmAt(state: ControlState, now: number, due: number | null): number | null {
  const check = anyWatched(state) ? now + GUARD_INTERVAL_MS : null;
  return due !== null && (check === null || due < check) ? due : check;
}

function percentSince(r: StoredRollout): number {
  return Date.parse(r.percentSince ?? r.updatedAt);
}

/**
 * When the guard starts counting: the rollout's `guardSince` (the last percentage change, resume
 * or continue), else `percentSince`, else `updatedAt`, for rollouts stored before those existed.
 * What happened before it (the failures behind a kill the operator has since fixed) is history.
 */
export function guardSince(r: StoredRollout): number {
  return Date.parse(r.guardSince ?? r.percentSince ?? r.updatedAt);
}

/**
 * The guard's verdict as the alarm reads it: its window, only slots from `guardSince` on, its
 * external checks as the last alarm found them (`ext`), and the shadow comparisons (`shadow`).
 */
export function guardVerdict(r: StoredRollout, windows: HealthWindows, now: number, ext: ExternalInputs = NO_EXTERNAL, shadow: ShadowWindows = {}): Verdict {
  const guard = r.config.guard;
  const seconds = guard?.windowSeconds ?? 60;
  const since = guardSince(r);
  const traffic = evaluateGuard(guard, summarize(windows, r.config.id, seconds, now, since), shadowTotalsOver(shadow, r.config.id, seconds, now, since));
  return withExternal(guard, traffic, ext.checks);
}

/** The current stage's hold so far, in seconds: at least 10 s, at most the history kept. */
function holdSeconds(r: StoredRollout, now: number): number {
  return Math.min(Math.max((now - percentSince(r)) / 1000, 10), RETENTION_MS / 1000);
}

/**
 * The guard's verdict over the current stage's hold so far (at least 10 s, at most the history
 * kept), counting only slots from `guardSince` on.
 */
export function holdVerdict(r: StoredRollout, windows: HealthWindows, now: number, ext: ExternalInputs = NO_EXTERNAL, shadow: ShadowWindows = {}): Verdict | undefined {
  if (!r.config.guard) return undefined;
  const seconds = holdSeconds(r, now);
  const since = guardSince(r);
  const traffic = evaluateGuard(r.config.guard, summarize(windows, r.config.id, seconds, now, since), shadowTotalsOver(shadow, r.config.id, seconds, now, since));
  return withExternal(r.config.guard, traffic, ext.checks);
}

/**
 * The shadow check of the next stage, when that stage requires a shadow match: every comparison
 * of the current hold (since `guardSince`, within the history kept), not only a recent window, so
 * that mismatches early in the hold still count at its end.
 */
function nextShadowCheck(r: StoredRollout, now: number, shadow: ShadowWindows): ShadowCheck | undefined {
  const next = r.config.stages?.find((s) => s.percent > r.config.percent);
  if (!next?.requireShadowMatch) return undefined;
  const totals = shadowTotalsOver(shadow, r.config.id, RETENTION_MS / 1000, now, guardSince(r));
  return shadowMatchCheck(r.config.guard, totals, now - percentSince(r), next.percent);
}

/**
 * The stage percentage an operator approved for this rollout's next move, or null. An approval
 * holds only from the percentage it was given at (a change of percentage makes it stale).
 */
export function approvedPercent(r: StoredRollout): number | null {
  const a = r.approval;
  return a && a.fromPercent === r.config.percent ? a.percent : null;
}

/**
 * A staged rollout's next move (./stages.ts planStage): advance now, or what it waits for; judged
 * from its health and shadow windows at `now`, its external checks and probes (`ext`), its
 * approval and its schedule. Undefined without stages.
 */
export function stagePlan(
  r: StoredRollout,
  globalKill: GlobalKill,
  windows: HealthWindows,
  now: number,
  ext: ExternalInputs = NO_EXTERNAL,
  shadow: ShadowWindows = {},
): StagePlan | undefined {
  const stages = r.config.stages;
  if (!stages) return undefined;
  return planStage(
    stages,
    {
      percent: r.config.percent,
      percentSince: percentSince(r),
      paused: r.paused ?? false,
      killed: r.config.killed || globalKill.killed,
      guarded: !!r.config.guard,
      approvedPercent: approvedPercent(r),
    },
    holdVerdict(r, windows, now, ext, shadow),
    now,
    scheduleGate(r.config.schedule, now),
    nextShadowCheck(r, now, shadow),
    probeGate(r.config.probes, ext.probes),
  );
}

/** Where a staged rollout stands, as the admin API shows it, from the same inputs as stagePlan; null without stages. */
export function stageView(...inputs: Parameters<typeof stagePlan>): StageView | null {
  const [r] = inputs;
  const stages = r.config.stages;
  if (!stages) return null;
  const index = currentStageIndex(stages, r.config.percent);
  const next = stages.find((s) => s.percent > r.config.percent);
  const plan = stagePlan(...inputs)!;
  const hold = index >= 0 ? stages[index]!.holdSeconds : 0;
  return {
    index,
    count: stages.length,
    percent: r.config.percent,
    holdSeconds: hold,
    enteredAt: r.percentSince ?? r.updatedAt,
    nextPercent: next?.percent ?? null,
    nextDueAt: next ? new Date(percentSince(r) + hold * 1000).toISOString() : null,
    waiting: plan.action === "advance" ? `moving to ${plan.percent}% at the next check` : plan.reason,
    awaitingApproval: awaitsApproval(stages, r.config.percent, approvedPercent(r)),
  };
}

/** What the alarm found for one rollout, and what it does about it. */
export interface Evaluation {
  rolloutId: string;
  verdict: Verdict;
  plan?: StagePlan;
  /** The command to apply, as `actor`. */
  command?: Command;
  actor?: "guard" | "stages";
}

/** Why and how the alarm acts on a rollout now: a guard breach, or probes failing on new; null when it need not. */
function breachOf(r: StoredRollout, verdict: Verdict, ext: ExternalInputs): { action: "kill" | "pause"; reason: string } | null {
  const guard = r.config.guard;
  if (guard && verdict.status === "breach") return { action: guard.action, reason: breachReason(verdict) };
  const probes = probeBreach(r, ext.probes);
  return probes ? { action: probeAction(r), reason: probes } : null;
}

/**
 * One alarm's decisions over every watched rollout that is not killed; `external` gives what the
 * alarm found for each rollout's external checks and probes, `shadow` the shadow comparisons.
 */
export function evaluateRollouts(
  state: ControlState,
  windows: HealthWindows,
  now: number,
  external: (id: string) => ExternalInputs = () => NO_EXTERNAL,
  shadow: ShadowWindows = {},
): Evaluation[] {
  const out: Evaluation[] = [];
  for (const r of state.rollouts.values()) {
    if (!isWatched(r) || r.config.killed || state.globalKill.killed) continue;
    const id = r.config.id;
    const ext = external(id);
    const verdict = guardVerdict(r, windows, now, ext, shadow);
    const breach = breachOf(r, verdict, ext);
    if (breach) {
      const body = { reason: breach.reason.slice(0, 500) };
      if (breach.action === "kill") {
        out.push({ rolloutId: id, verdict, command: { type: "kill", id, body }, actor: "guard" });
        continue;
      }
      if (!r.paused && r.config.stages) {
        out.push({ rolloutId: id, verdict, command: { type: "pause", id, body }, actor: "guard" });
        continue;
      }
    }
    const plan = stagePlan(r, state.globalKill, windows, now, ext, shadow);
    if (plan?.action === "advance") {
      const approved = approvedPercent(r) === plan.percent && r.approval ? `, approved by ${r.approval.by}` : "";
      const reason = `stage: ${plan.reason}${approved}`;
      out.push({ rolloutId: id, verdict, plan, command: { type: "advance", id, percent: plan.percent, reason }, actor: "stages" });
    } else {
      out.push({ rolloutId: id, verdict, ...(plan ? { plan } : {}) });
    }
  }
  return out;
}
