/**
 * What the alarm makes of a rollout's external checks and probes: when their counts start afresh,
 * how the checks join the guard's verdict, what the probes let a stage do, and when failing probes
 * act like a guard breach. Pure: states and numbers in, decisions out; the Durable Object polls
 * and stores (control/external-watch.ts).
 */
import type { Probe } from "../../../contracts/external";
import { LIMIT_NAMES, type GuardConfig, type Verdict } from "../../../contracts/guard";
import type { StoredRollout } from "../../../contracts/rollout";
import { probeBreaches, probesPassing, type ProbeStates } from "./probes";
import { externalVerdict, type CheckStates } from "./verdict";

/** What the last alarm found for one rollout's external checks and probes. */
export interface ExternalInputs {
  checks: CheckStates;
  probes: ProbeStates;
}

/** Nothing found yet: every check pending, every probe without a run. */
export const NO_EXTERNAL: ExternalInputs = { checks: {}, probes: {} };

/** Since when a rollout's results count (epoch ms), and the percentage it was at then. */
export interface ResetMark {
  since: number;
  percent: number;
}

export interface ResetDecision {
  checks: boolean;
  probes: boolean;
  mark: ResetMark;
}

/**
 * Whether this alarm starts a rollout's counts afresh, given its guard's `since` (the last resume,
 * continue or percentage change) and `percent`. External checks: whenever `since` moved past the
 * mark. Probes: only when the percentage is the same (a resume or continue): a stage move keeps
 * their record, so a probe that kept failing at 0% acts as soon as new gets traffic.
 */
export function resetDecision(since: number, percent: number, mark: ResetMark | undefined): ResetDecision {
  const next = { since, percent };
  if (!mark || since <= mark.since) return { checks: false, probes: false, mark: mark ?? next };
  return { checks: true, probes: percent === mark.percent, mark: next };
}

/** Whether a guard limits traffic at all (its `warn` limits aside): without, it judges only its external checks. */
export function hasTrafficLimits(guard: GuardConfig): boolean {
  return LIMIT_NAMES.some((limit) => guard[limit] !== undefined);
}

const sentences = (items: readonly { sentence: string }[]) => `${items.map((i) => i.sentence).join("; ")}.`;

/**
 * The guard's verdict joined with its external checks. A breached check is a breach whatever the
 * traffic (`minRequests` and `minUsers` gate only the traffic limits); a check not passing yet makes
 * a healthy verdict inconclusive. A guard with checks and no traffic limits is judged on its checks
 * alone. Without external checks the verdict is returned as it is.
 */
export function withExternal(guard: GuardConfig | undefined, traffic: Verdict, checks: CheckStates): Verdict {
  const list = guard?.external ?? [];
  if (!guard || !list.length) return traffic;
  const external = externalVerdict(list, checks);
  const judged = hasTrafficLimits(guard) ? traffic : undefined;
  const externalWords =
    external.status === "breach"
      ? sentences(external.breaches)
      : external.status === "healthy"
        ? `External checks pass: ${list.map((c) => c.name).join(", ")}.`
        : `External checks not passing yet: ${external.waiting.map((w) => `${w.name}: ${w.reason}`).join("; ")}.`;
  if (external.status === "breach" || judged?.status === "breach") {
    const parts = [judged?.status === "breach" ? judged.summary : null, external.status === "breach" ? externalWords : null];
    return { ...traffic, status: "breach", summary: parts.filter(Boolean).join(" "), external };
  }
  const status = judged?.status === "inconclusive" || external.status === "inconclusive" ? "inconclusive" : "healthy";
  return { ...traffic, status, summary: [judged?.summary, externalWords].filter(Boolean).join(" "), external };
}

/**
 * Why a guard acts, for the audit entry and the notification: the traffic limits it names (as
 * before external checks existed), then the summary, whose external sentences name each check
 * and its value.
 */
export function breachReason(verdict: Verdict): string {
  const limits = verdict.breaches.map((b) => b.limit);
  return `${limits.length ? `guard ${limits.join(", ")}` : "guard"}: ${verdict.summary}`;
}

/** What a rollout's probes let its stages do (control/policy/stages.ts planStage). */
export interface ProbeGate {
  /** Every probe passed each of its last `failureThreshold` runs (true without probes). */
  passing: boolean;
  /** Probes on new that failed `failureThreshold` times in a row, in sentences; null when none. */
  failing: string | null;
  /** Why the probes are not passing yet; null when they are. */
  waiting: string | null;
}

export const PROBES_PASSING: ProbeGate = { passing: true, failing: null, waiting: null };

/** "checkout: 1 of its last 3 runs passed (last: HTTP 503, expected 200)" per probe not passing yet. */
function notPassing(probes: readonly Probe[], states: ProbeStates): string {
  return probes
    .flatMap((probe) => {
      const state = states[probe.name];
      const results = state?.results ?? [];
      if (results.length >= probe.failureThreshold && results.every(Boolean)) return [];
      const passed = results.filter(Boolean).length;
      const last = state?.lastError ? ` (last: ${state.lastError})` : "";
      return [`${probe.name}: ${passed} of the ${probe.failureThreshold} passing runs needed${last}`];
    })
    .join("; ");
}

/** The probes' gate for the next stage. */
export function probeGate(probes: readonly Probe[] | undefined, states: ProbeStates): ProbeGate {
  if (!probes?.length) return PROBES_PASSING;
  const passing = probesPassing(probes, states);
  const breaches = probeBreaches(probes, states);
  return { passing, failing: breaches.length ? sentences(breaches) : null, waiting: passing ? null : notPassing(probes, states) };
}

/**
 * The breach failing probes cause, once new gets traffic: a probe on new that failed
 * `failureThreshold` times in a row. At 0% they only hold the rollout (nothing to roll back).
 */
export function probeBreach(r: StoredRollout, states: ProbeStates): string | null {
  if (r.config.percent <= 0) return null;
  const breaches = probeBreaches(r.config.probes ?? [], states);
  return breaches.length ? sentences(breaches) : null;
}

/** What a probe breach does: the guard's action, or a pause without a guard. */
export function probeAction(r: StoredRollout): "kill" | "pause" {
  return r.config.guard?.action ?? "pause";
}
