/**
 * External checks as a state machine: each poll result (or the pushed values of a signal) moves a
 * check's state; the states together give the external verdict a guard acts on. Pure: no I/O, no
 * clock (`now` is epoch milliseconds, passed in), plain JSON-serialisable states (but a Prometheus
 * `+Inf` is kept as `Infinity`, which structured clone stores and JSON turns into null).
 */
import { MAX_SIGNAL_VALUES, type ExternalCheck, type SignalCheck, type SignalPush } from "../../../contracts/external";
import type { CheckVerdictName, ExternalBreachView, ExternalVerdictView } from "../../../contracts/external-wire";
import type { CheckResult } from "./providers";

/**
 * - `pass`: the last value is within the limits;
 * - `fail`: `failureLimit` consecutive failures (a breach);
 * - `pending`: nothing judged since the last reset, or failures not yet reaching `failureLimit`;
 * - `inconclusive`: the last poll had no usable value (and `onError` is "inconclusive"), or a signal went stale.
 */
export type CheckVerdict = CheckVerdictName;

export interface CheckState {
  lastValue: number | boolean | null;
  /** When `lastValue` was measured (a signal: when it was pushed). */
  lastAt: number | null;
  lastError: string | null;
  consecutiveFailures: number;
  lastPolledAt: number | null;
  verdict: CheckVerdict;
}

/** States by check name; a check without one has never been judged. */
export type CheckStates = Readonly<Record<string, CheckState | undefined>>;

/** A value pushed to `POST …/signals/:name`, as stored. */
export interface SignalValue {
  value: number | boolean;
  /** Epoch milliseconds. */
  at: number;
  note?: string;
}

export const INITIAL_CHECK_STATE: CheckState = { lastValue: null, lastAt: null, lastError: null, consecutiveFailures: 0, lastPolledAt: null, verdict: "pending" };

type Judgement = { pass: true } | { pass: false; limit: number | boolean; kind: "max" | "min" | "equals" } | { error: string };

/** A value against the check's limits; a boolean counts as 1/0 against max and min. */
export function judge(check: ExternalCheck, value: number | boolean): Judgement {
  if (check.equals !== undefined) {
    if (typeof value !== "boolean") return { error: `expected true or false (equals ${check.equals}), got the number ${format(value)}` };
    return value === check.equals ? { pass: true } : { pass: false, limit: check.equals, kind: "equals" };
  }
  const n = typeof value === "boolean" ? Number(value) : value;
  if (check.max !== undefined && n > check.max) return { pass: false, limit: check.max, kind: "max" };
  if (check.min !== undefined && n < check.min) return { pass: false, limit: check.min, kind: "min" };
  return { pass: true };
}

/** Checks to poll at `now`: their interval has elapsed since the last poll. Signals are always due. */
export function dueChecks(checks: readonly ExternalCheck[], states: CheckStates, now: number): ExternalCheck[] {
  return checks.filter((check) => {
    if (check.provider === "signal") return true;
    const last = states[check.name]?.lastPolledAt;
    return last === null || last === undefined || now - last >= check.intervalSeconds * 1000;
  });
}

const failed = (check: ExternalCheck, state: CheckState): CheckState => {
  const consecutiveFailures = state.consecutiveFailures + 1;
  return { ...state, consecutiveFailures, verdict: consecutiveFailures >= check.failureLimit ? "fail" : "pending" };
};

/**
 * The state after one poll. A value outside the limits is a failure; an error is a failure when
 * `onError` is "breach", and otherwise leaves the failure count alone (verdict inconclusive).
 */
export function applyResult(check: ExternalCheck, state: CheckState | undefined, result: CheckResult, now: number): CheckState {
  const base: CheckState = { ...(state ?? INITIAL_CHECK_STATE), lastPolledAt: now };
  const judged = result.ok ? judge(check, result.value) : { error: result.error };
  if ("error" in judged) {
    const errored = { ...base, lastError: judged.error };
    return check.provider !== "signal" && check.onError === "breach" ? failed(check, errored) : { ...errored, verdict: "inconclusive" };
  }
  const measured = { ...base, lastValue: (result as { value: number | boolean }).value, lastAt: now, lastError: null };
  return judged.pass ? { ...measured, consecutiveFailures: 0, verdict: "pass" } : failed(check, measured);
}

/**
 * A signal's state from its pushed values: only values pushed at or after `since` count; the newest
 * one decides, the ones before it count toward `failureLimit`. No value for `staleAfterSeconds`: inconclusive.
 */
export function signalState(check: SignalCheck, values: readonly SignalValue[], now: number, since = -Infinity): CheckState {
  const counted = values.filter((v) => v.at >= since).sort((a, b) => a.at - b.at);
  const latest = counted.at(-1);
  const base = { ...INITIAL_CHECK_STATE, lastPolledAt: now };
  if (!latest) return { ...base, lastError: since > -Infinity ? "no value pushed since the last reset" : "no value pushed yet" };
  const known = { ...base, lastValue: latest.value, lastAt: latest.at };
  const ageSeconds = Math.max(0, Math.round((now - latest.at) / 1000));
  if (ageSeconds > check.staleAfterSeconds) {
    return { ...known, verdict: "inconclusive", lastError: `stale: the last value was pushed ${ageSeconds} s ago (staleAfterSeconds ${check.staleAfterSeconds})` };
  }
  const latestJudged = judge(check, latest.value);
  if ("error" in latestJudged) return { ...known, verdict: "inconclusive", lastError: latestJudged.error };
  let consecutiveFailures = 0;
  for (let i = counted.length - 1; i >= 0; i--) {
    const j = judge(check, counted[i]!.value);
    if (!("pass" in j) || j.pass) break;
    consecutiveFailures++;
  }
  const verdict = consecutiveFailures === 0 ? "pass" : consecutiveFailures >= check.failureLimit ? "fail" : "pending";
  return { ...known, consecutiveFailures, verdict };
}

/**
 * Stores one pushed value: its `at` (or `now`), never later than `now` so a fast clock cannot keep
 * a value fresh; oldest first, at most MAX_SIGNAL_VALUES kept.
 */
export function recordSignal(values: readonly SignalValue[], push: SignalPush, now: number): SignalValue[] {
  const at = push.at === undefined ? now : Math.min(Date.parse(push.at), now);
  const value: SignalValue = push.note === undefined ? { value: push.value, at } : { value: push.value, at, note: push.note };
  return [...values, value].sort((a, b) => a.at - b.at).slice(-MAX_SIGNAL_VALUES);
}

/**
 * After a resume, a continue or a percentage change only new results count: failures are
 * forgotten, every check is pending and polled at the next alarm. The last value stays for display.
 * Signals take the reset time as `since` in signalState.
 */
export function resetSince(states: CheckStates): Record<string, CheckState> {
  const out: Record<string, CheckState> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state) out[name] = { ...state, consecutiveFailures: 0, lastPolledAt: null, verdict: "pending" };
  }
  return out;
}

/** A breached check: its value against its limit, in a sentence naming the check (as the wire shows it). */
export type ExternalBreach = ExternalBreachView;

/** What all external checks of a guard say together (as the wire shows it). */
export type ExternalVerdict = ExternalVerdictView;

/** 5400 → "5,400"; 0.01234 → "0.0123"; Infinity → "+Inf". */
export function format(value: number | boolean): string {
  if (typeof value === "boolean") return String(value);
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
  return Math.abs(value) >= 1 || value === 0 ? value.toLocaleString("en-US", { maximumFractionDigits: 2 }) : value.toLocaleString("en-US", { maximumSignificantDigits: 3 });
}

/** What the last result says, in words: the value against its limit, or the error. */
function describe(check: ExternalCheck, state: CheckState): { words: string; value: number | boolean | null; limit: number | boolean | null } {
  const judged = state.lastError === null && state.lastValue !== null ? judge(check, state.lastValue) : undefined;
  if (!judged || !("pass" in judged) || judged.pass) return { words: `no usable value: ${state.lastError ?? "no result yet"}`, value: null, limit: null };
  const what = check.description ?? "value";
  const value = format(state.lastValue!);
  const words =
    judged.kind === "equals"
      ? `${what} is ${value}, expected ${judged.limit}`
      : `${what} ${value} ${judged.kind === "max" ? "exceeds max" : "is below min"} ${format(judged.limit)}`;
  return { words, value: state.lastValue, limit: judged.limit };
}

function breachOf(check: ExternalCheck, state: CheckState): ExternalBreach {
  const failures = state.consecutiveFailures === 1 ? "1 failure" : `${state.consecutiveFailures} consecutive failures`;
  const { words, value, limit } = describe(check, state);
  return { name: check.name, value, limit, sentence: `external ${check.name}: ${words} (${failures}, ${check.provider})` };
}

function waitingReason(check: ExternalCheck, state: CheckState): string {
  if (state.verdict === "pending" && state.consecutiveFailures > 0) return `${state.consecutiveFailures} of ${check.failureLimit} failures: ${describe(check, state).words}`;
  return state.lastError ?? "no result yet";
}

/** The guard's view of all external checks: any breached → breach; all passing → healthy; else inconclusive. */
export function externalVerdict(checks: readonly ExternalCheck[], states: CheckStates): ExternalVerdict {
  const breaches: ExternalBreach[] = [];
  const waiting: ExternalVerdict["waiting"] = [];
  for (const check of checks) {
    const state = states[check.name] ?? INITIAL_CHECK_STATE;
    if (state.verdict === "fail") breaches.push(breachOf(check, state));
    else if (state.verdict !== "pass") waiting.push({ name: check.name, verdict: state.verdict, reason: waitingReason(check, state) });
  }
  const status = breaches.length ? "breach" : waiting.length ? "inconclusive" : "healthy";
  return { status, breaches, waiting };
}
