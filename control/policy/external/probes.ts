/**
 * Synthetic probes: a request the alarm sends straight to one origin every `intervalSeconds`, so a
 * broken new origin shows before (or without) user traffic. Everything here is pure except
 * `runProbe`, which fetches with an injected `fetch` and never throws.
 */
import type { Probe } from "../../../contracts/external";
import { describeFetchFailure } from "./providers";

/** The header every probe request carries, so origins can tell probes from users (and logs skip them). */
export const PROBE_HEADER = "x-rollout-probe";

export interface ProbeOutcome {
  /** The status was one of `expectStatus`. */
  ok: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface ProbeState {
  /** Pass (true) or fail of the last runs, oldest first, at most `failureThreshold` of them. */
  results: boolean[];
  consecutiveFailures: number;
  /** Epoch milliseconds of the last run. */
  lastAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
}

export type ProbeStates = Readonly<Record<string, ProbeState | undefined>>;

export const INITIAL_PROBE_STATE: ProbeState = { results: [], consecutiveFailures: 0, lastAt: null, lastStatus: null, lastError: null };

export interface ProbeBreach {
  name: string;
  consecutiveFailures: number;
  lastStatus: number | null;
  lastError: string | null;
  sentence: string;
}

/** The request a probe sends: the origin of its variant plus its path, with the probe header. */
export function probeRequest(probe: Probe, origins: { legacy: string; new: string }): { url: string; init: RequestInit; timeoutMs: number } {
  const url = origins[probe.variant].replace(/\/+$/, "") + probe.path;
  const headers = { ...probe.headers, [PROBE_HEADER]: probe.name };
  return { url, init: { method: probe.method, headers, redirect: "manual" }, timeoutMs: probe.timeoutMs };
}

/** Probes to run at `now`: never run, or their interval has elapsed. */
export function dueProbes(probes: readonly Probe[], states: ProbeStates, now: number): Probe[] {
  return probes.filter((probe) => {
    const last = states[probe.name]?.lastAt;
    return last === null || last === undefined || now - last >= probe.intervalSeconds * 1000;
  });
}

/** The state after one run; `threshold` is the probe's `failureThreshold` (how many results to keep). */
export function applyProbe(state: ProbeState | undefined, outcome: ProbeOutcome, now: number, threshold: number): ProbeState {
  const prev = state ?? INITIAL_PROBE_STATE;
  return {
    results: [...prev.results, outcome.ok].slice(-threshold),
    consecutiveFailures: outcome.ok ? 0 : prev.consecutiveFailures + 1,
    lastAt: now,
    lastStatus: outcome.status,
    lastError: outcome.error,
  };
}

/**
 * Whether every probe passed each of its last `failureThreshold` runs: the gate of a stage with
 * `requireProbes: true`. A probe with fewer runs since the last reset does not pass yet.
 */
export function probesPassing(probes: readonly Probe[], states: ProbeStates): boolean {
  return probes.every((probe) => {
    const results = states[probe.name]?.results ?? [];
    return results.length >= probe.failureThreshold && results.slice(-probe.failureThreshold).every(Boolean);
  });
}

/** Probes on **new** that failed `failureThreshold` times in a row. Legacy failing is not new's fault. */
export function probeBreaches(probes: readonly Probe[], states: ProbeStates): ProbeBreach[] {
  const breaches: ProbeBreach[] = [];
  for (const probe of probes) {
    const state = states[probe.name];
    if (probe.variant !== "new" || !state || state.consecutiveFailures < probe.failureThreshold) continue;
    const last = state.lastError ?? (state.lastStatus === null ? "no answer" : `HTTP ${state.lastStatus}`);
    const sentence = `probe ${probe.name}: ${probe.method} ${probe.path} on new failed ${state.consecutiveFailures} times in a row (last: ${last})`;
    breaches.push({ name: probe.name, consecutiveFailures: state.consecutiveFailures, lastStatus: state.lastStatus, lastError: state.lastError, sentence });
  }
  return breaches;
}

/** After a resume or continue: only runs from now on count (the last status stays for display). */
export function resetProbes(states: ProbeStates): Record<string, ProbeState> {
  const out: Record<string, ProbeState> = {};
  for (const [name, state] of Object.entries(states)) if (state) out[name] = { ...state, results: [], consecutiveFailures: 0 };
  return out;
}

/** Runs one probe against the origin of its variant; `clock` (epoch ms) times it. Never throws. */
export async function runProbe(probe: Probe, origins: { legacy: string; new: string }, fetcher: typeof fetch, clock: () => number): Promise<ProbeOutcome> {
  const { url, init, timeoutMs } = probeRequest(probe, origins);
  const started = clock();
  try {
    const response = await fetcher(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    // The body is not needed; cancelling it frees the connection.
    await response.body?.cancel().catch(() => {});
    const ok = probe.expectStatus.includes(response.status);
    const error = ok ? null : `HTTP ${response.status}, expected ${probe.expectStatus.join(" or ")}`;
    return { ok, status: response.status, error, durationMs: clock() - started };
  } catch (error) {
    return { ok: false, status: null, error: describeFetchFailure(error, timeoutMs), durationMs: clock() - started };
  }
}
