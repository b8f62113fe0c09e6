/**
 * What the dashboard reads from the admin API, as TypeScript types. They mirror the server's
 * replies today (`rolloutView` in admin/app.ts, `HealthReport` in control/rollout-state.ts, the
 * audit rows, contracts/problem.ts); they live in this one file so that it alone changes when they
 * move to a shared contracts module. Types only: nothing here is bundled.
 */

import type { RuleText } from "../../../contracts/rule-text";

/** Derived by the control plane: control/policy/schedule.ts `rolloutStatus`. */
export type RolloutStatus = "live" | "paused" | "killed" | "complete";

export type Variant = "legacy" | "new";

/** Where a staged rollout stands (control/policy/schedule.ts `StageView`). */
export interface StageView {
  /** Index of the current stage; -1 = below the first. */
  index: number;
  count: number;
  percent: number;
  holdSeconds: number;
  enteredAt: string;
  nextPercent: number | null;
  /** When the hold ends (the move still needs a healthy guard). */
  nextDueAt: string | null;
  /** Why it is not moving, or what it will do next. */
  waiting: string | null;
  /** The next stage requires an approval not given yet (APPROVE is shown); absent from older routers. */
  awaitingApproval?: boolean;
}

/** An operator's approval of the next stage (contracts/rollout.ts `StageApproval`). */
export interface StageApproval {
  percent: number;
  fromPercent: number;
  at: string;
  by: string;
  reason: string | null;
}

export interface GuardConfig {
  windowSeconds: number;
  minRequests: number;
  /** Absent in guards stored before it existed (then 5). */
  minUsers?: number;
  minClientIps?: number;
  maxErrorRate?: number;
  maxErrorRateDelta?: number;
  maxP95Ms?: number;
  maxP99Ms?: number;
  maxP95DeltaMs?: number;
  maxErrorRateRatio?: number;
  maxP50Ms?: number;
  maxP50DeltaMs?: number;
  maxP95Ratio?: number;
  maxP99Ratio?: number;
  /** Limits that only warn. */
  warn?: Partial<Record<string, number>>;
  action: "kill" | "pause";
}

export type StickinessSource = { header: string } | { cookie: string };

/** A rollout's config as stored (contracts/rollout.ts `RolloutConfig`, defaults applied). */
export interface RolloutConfig {
  id: string;
  description?: string;
  match: { hosts: string[]; pathPrefixes: string[] };
  origins: Record<Variant, string>;
  percent: number;
  stickiness: StickinessSource[];
  salt?: string;
  allowlist: Record<Variant, string[]>;
  /** Targeting rules, in order; absent when there are none. */
  rules?: RuleText[];
  killed: boolean;
  retryOnLegacy: boolean;
  timeoutMs?: number;
  guard?: GuardConfig;
  stages?: Array<{ percent: number; holdSeconds: number; requiresApproval?: boolean }>;
  schedule?: { startAt?: string; advanceWindows?: Array<{ days: string[]; from: string; to: string; timeZone: string }> };
}

/** One rollout as `GET /rollouts` lists it (admin/app.ts `rolloutView`). */
export interface RolloutView {
  id: string;
  status: RolloutStatus;
  /** The config version at this rollout's last change; sent back in If-Match. */
  version: number;
  updatedAt: string;
  updatedBy: string;
  killReason: string | null;
  percentSince: string;
  paused: boolean;
  pauseReason: string | null;
  /** Absent from older routers. */
  approval?: StageApproval | null;
  stage: StageView | null;
  config: RolloutConfig;
}

export interface GlobalKill {
  killed: boolean;
  reason: string | null;
  at: string | null;
  by: string | null;
}

/** `GET /rollouts`. */
export interface RolloutList {
  version: number;
  globalKill: GlobalKill;
  rollouts: RolloutView[];
  /** The worker's vars are unusable (no rollout could be seeded). */
  problems?: Array<{ variable: string; message: string }>;
}

/** One variant over a window (control/policy/health.ts `VariantSummary`). */
export interface VariantSummary {
  requests: number;
  errors: number;
  clientErrors: number;
  /** errors / requests; null without requests. */
  errorRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Distinct users (an estimate); absent from a router too old to count them. */
  users?: number;
  /** Distinct users that saw an error. */
  errorUsers?: number;
  /** Distinct client addresses that saw an error. */
  errorIps?: number;
}

/** The guard's verdict (control/policy/guard.ts `Verdict`). */
export interface Verdict {
  status: "healthy" | "breach" | "inconclusive" | "no-guard";
  summary: string;
  windowSeconds: number;
  samples: Record<Variant, number>;
  users?: Record<Variant, number>;
  breaches: Array<{ limit: string; threshold: number; value: number; baseline: number | null; sentence: string }>;
  skipped: string[];
  /** Error-rate limits exceeded by errors from too few users: not breaches. */
  unconfirmed?: string[];
  /** `warn` limits exceeded: shown, never acted on; absent from older routers. */
  warnings?: Array<{ limit: string; threshold: number; value: number; baseline: number | null; sentence: string }>;
}

/** One slot of the chart series. */
export interface HealthPoint {
  at: string;
  legacy: VariantSummary;
  new: VariantSummary;
}

/** `GET /rollouts/:id/health` (control/rollout-state.ts `HealthReport`). */
export interface HealthReport {
  rollout: string;
  now: string;
  status: RolloutStatus;
  windowSeconds: number;
  legacy: VariantSummary;
  new: VariantSummary;
  /** The guard counts only traffic from here on; absent from older routers. */
  since?: string;
  /** Over the guard's own window, since `since` (as the alarm computes it). */
  verdict: Verdict;
  stage: StageView | null;
  series: HealthPoint[];
}

export type AuditAction =
  | "seed"
  | "create"
  | "replace"
  | "patch"
  | "delete"
  | "kill"
  | "resume"
  | "kill-all"
  | "resume-all"
  | "pause"
  | "continue"
  | "promote"
  | "advance"
  | "revoke-overrides"
  | "token-create"
  | "token-revoke"
  | "approve"
  | "notifications";

/** One audit entry (control/rollout-state.ts `AuditRecord`), newest first in `GET /audit`. */
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: AuditAction;
  /** null for the global kill switch. */
  rolloutId: string | null;
  version: number;
  /** The rollout before and after (null when created / deleted). */
  before: unknown;
  after: unknown;
  reason: string | null;
  /** What the request added beyond its token, e.g. `X-Actor: alice@example.com` (contracts/audit.ts). */
  note?: string;
}

/** `GET /whoami`: the signed-in token's name and scopes (contracts/tokens.ts `Whoami`). */
export interface Whoami {
  name: string;
  scopes: Array<"read" | "operate" | "admin" | "evaluate">;
}

/** `GET /audit`. */
export interface AuditPage {
  entries: AuditEntry[];
}

/** The reply to every successful write (admin/app.ts `write`). */
export interface WriteReply {
  version: number;
  changed: boolean;
  rollout?: RolloutView;
  globalKill: GlobalKill;
}

/** RFC 9457 problem details (contracts/problem.ts), with the members the admin API adds. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** Field-level issues (422). */
  errors?: Array<{ pointer: string; message: string }>;
  /** 412: the version If-Match named, and the current one. */
  expected?: number;
  current?: number;
}
