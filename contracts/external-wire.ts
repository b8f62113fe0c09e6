/**
 * How external checks, probes and pushed signals read on the wire: the `external` section of
 * `GET /rollouts/:id/health`, the signals endpoints, and the part of a guard's verdict that comes
 * from external checks. Types only (shared by the Durable Object, the admin API, the CLI and the
 * dashboard's own copy in admin/dashboard/client/wire.ts).
 */

/** A check's state: see control/policy/external/verdict.ts CheckVerdict (which is this type). */
export type CheckVerdictName = "pass" | "fail" | "inconclusive" | "pending";

/** An external check that is breached: its value against its limit, in a sentence naming the check. */
export interface ExternalBreachView {
  name: string;
  value: number | boolean | null;
  limit: number | boolean | null;
  sentence: string;
}

/** What all external checks of a guard say together (control/policy/external/verdict.ts externalVerdict). */
export interface ExternalVerdictView {
  status: "breach" | "healthy" | "inconclusive";
  breaches: ExternalBreachView[];
  /** Checks neither passing nor breached, with why. */
  waiting: { name: string; verdict: CheckVerdictName; reason: string }[];
}

/** One external check as the last alarm left it. */
export interface ExternalCheckView {
  name: string;
  provider: "prometheus" | "datadog" | "web" | "signal";
  description: string | null;
  /** The limit in words: "max 5,000", "min 1", "equals true". */
  limit: string;
  verdict: CheckVerdictName;
  /** The last usable value (a Prometheus +Inf reads as null here; `valueText` says "+Inf"). */
  value: number | boolean | null;
  valueText: string | null;
  /** When the value was measured (a signal: pushed). */
  valueAt: string | null;
  /** The last poll's problem (or why a signal is stale), null when it gave a value. */
  error: string | null;
  consecutiveFailures: number;
  failureLimit: number;
  polledAt: string | null;
}

/** One probe as the last alarm left it. */
export interface ProbeView {
  name: string;
  variant: "new" | "legacy";
  method: "GET" | "HEAD";
  path: string;
  /** Pass (true) or fail of the last runs since the last reset, oldest first, at most `failureThreshold`. */
  results: boolean[];
  consecutiveFailures: number;
  failureThreshold: number;
  /** Passed each of its last `failureThreshold` runs: what a `requireProbes` stage waits for. */
  passing: boolean;
  lastAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
}

/** The `external` section of a health report: present when the rollout has external checks or probes. */
export interface ExternalReport {
  /** Only results from here on count (the rollout's last resume, continue or percentage change). */
  since: string;
  checks: ExternalCheckView[];
  /** Null without external checks. */
  verdict: ExternalVerdictView | null;
  probes: ProbeView[];
  /** Every probe passed its last `failureThreshold` runs (true without probes). */
  probesPassing: boolean;
  /** Sentences of probes on new failing `failureThreshold` times in a row. */
  probeFailures: string[];
}

/** One pushed value as the signals endpoints answer it. */
export interface SignalValueView {
  value: number | boolean;
  at: string;
  note: string | null;
  /** The token that pushed it. */
  by: string | null;
}

/** `GET /rollouts/:id/signals/:name`: newest first, at most MAX_SIGNAL_VALUES. */
export interface SignalView {
  name: string;
  values: SignalValueView[];
}

/** `GET /rollouts/:id/signals`: every signal a check reads or a value was pushed to. */
export interface SignalList {
  rollout: string;
  signals: SignalView[];
}
