/**
 * The guard's shadow limit, `maxMismatchRate`: the share of shadow comparisons where new answered
 * differently from legacy, and the stage check `requireShadowMatch` built on the same numbers.
 * Pure: the caller passes in the totals of the window (contracts/shadow-stats.ts `shadowTotals`).
 *
 * The mismatch rate is judged apart from the health limits: shadow comparisons come from legacy
 * users, so a rollout still at 0% (no traffic on new at all, health inconclusive) can already
 * show that new answers wrongly.
 */
import { count, rate, span } from "../../contracts/format";
import type { Breach, GuardConfig, Verdict } from "../../contracts/guard";
import type { ShadowTotals } from "../../contracts/shadow-stats";

/** No comparison at all (no shadow data for the rollout). */
export const NO_COMPARISONS: ShadowTotals = { compared: 0, mismatched: 0, errors: 0, mismatchRate: null };

const basis = (t: ShadowTotals) => `${count(t.mismatched)} of ${count(t.compared)} comparisons differed`;

/** The breach of `maxMismatchRate`, or undefined (limit unset, too few comparisons, or within it). */
export function mismatchBreach(guard: GuardConfig, totals: ShadowTotals, windowSeconds: number): Breach | undefined {
  const limit = guard.maxMismatchRate;
  if (limit === undefined || totals.compared < guard.minRequests || totals.mismatchRate === null) return undefined;
  if (totals.mismatchRate <= limit) return undefined;
  return {
    limit: "maxMismatchRate",
    threshold: limit,
    value: totals.mismatchRate,
    baseline: null,
    sentence: `shadow mismatch rate ${rate(totals.mismatchRate)} over ${windowSeconds} s (${basis(totals)}) exceeds maxMismatchRate ${rate(limit)}`,
  };
}

/** What the verdict's summary adds about the comparisons when they do not breach. */
function shadowNote(guard: GuardConfig, totals: ShadowTotals): string {
  if (totals.compared < guard.minRequests) {
    return ` Shadow: ${count(totals.compared)} of ${count(guard.minRequests)} comparisons needed to judge maxMismatchRate.`;
  }
  return ` Shadow: mismatch rate ${rate(totals.mismatchRate)} (${basis(totals)}).`;
}

/**
 * The health verdict with `maxMismatchRate` judged on `totals`: a breach of it makes the verdict
 * a breach whatever the health limits say (a health breach keeps its own breaches too).
 */
export function withMismatchLimit(guard: GuardConfig | undefined, verdict: Verdict, totals: ShadowTotals): Verdict {
  if (guard?.maxMismatchRate === undefined) return verdict;
  const judged = { ...verdict, shadow: totals };
  const breach = mismatchBreach(guard, totals, verdict.windowSeconds);
  if (!breach) return { ...judged, summary: verdict.summary + shadowNote(guard, totals) };
  if (verdict.status === "breach") {
    return { ...judged, breaches: [...verdict.breaches, breach], summary: `${verdict.summary.replace(/\.$/, "")}; ${breach.sentence}.` };
  }
  return { ...judged, status: "breach", breaches: [breach], summary: `${breach.sentence}.` };
}

/** Whether a rollout may enter a stage that requires a shadow match, and if not why. */
export type ShadowCheck = { ok: true; note: string } | { ok: false; reason: string };

/**
 * The check of a stage with `requireShadowMatch`, over the comparisons of the hold before it
 * (`heldMs` long): at least `minRequests` comparisons, and a mismatch rate at most
 * `maxMismatchRate` (at most, not below: a limit of 0 must let a perfect match through).
 */
export function shadowMatchCheck(guard: GuardConfig | undefined, totals: ShadowTotals, heldMs: number, stagePercent: number): ShadowCheck {
  const limit = guard?.maxMismatchRate;
  const over = `over ${span(heldMs)}`;
  if (!guard || limit === undefined) {
    return { ok: false, reason: `waiting for a shadow match to enter ${stagePercent}%: the guard sets no maxMismatchRate to judge it by` };
  }
  if (totals.compared < guard.minRequests || totals.mismatchRate === null) {
    const errors = totals.errors ? `, ${count(totals.errors)} mirrors unanswered` : "";
    return {
      ok: false,
      reason: `waiting for a shadow match to enter ${stagePercent}%: inconclusive, ${count(totals.compared)} of ${count(guard.minRequests)} comparisons needed ${over}${errors}`,
    };
  }
  if (totals.mismatchRate > limit) {
    return {
      ok: false,
      reason: `waiting for a shadow match to enter ${stagePercent}%: mismatch rate ${rate(totals.mismatchRate)} ${over} (${basis(totals)}) is above maxMismatchRate ${rate(limit)}`,
    };
  }
  return { ok: true, note: `shadow mismatch rate ${rate(totals.mismatchRate)} (${basis(totals)})` };
}
