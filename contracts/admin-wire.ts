/**
 * The admin API's wire format, shared by the API (admin/), the CLI (cli/), the dashboard and the
 * OpenAPI document: zod schemas of what the API accepts (besides the rollout config itself, in
 * ./rollout.ts), and the types of what it answers.
 */
import type { AuditRecord } from "./audit";
import type { FieldIssue } from "./field-issues";
import type { Problem } from "./problem";
import type { GlobalKill, StageApproval, StoredRollout, RolloutConfig } from "./rollout";
import { RolloutConfigShape, RolloutId } from "./rollout";
import type { ExternalReport } from "./external-wire";
import type { Verdict } from "./guard";
import type { NotificationEvent } from "./notifications";
import type { HealthSummary, VariantSummary } from "./health";
import type { ShadowConfig } from "./shadow";
import type { ShadowTotals, ShadowView } from "./shadow-stats";
import type { StoredSegment } from "./rules";
import type { VarProblem } from "./vars";
import * as z from "./zod";

/** Longest a QA override token may live. */
export const MAX_OVERRIDE_TTL_SECONDS = 7 * 24 * 3600;

// ---- What the API accepts -------------------------------------------------------------------

const Reason = z.optional(z.string().check(z.trim(), z.maxLength(500)));

/** Body of `POST .../kill` and `POST /kill`: why (goes into the audit log). */
export const KillBodySchema = z.strictObject({ reason: Reason });

/** Body of `POST /override-tokens/revoke`: every QA override token issued before `before` (default: now) stops working. */
export const RevokeOverridesBodySchema = z.strictObject({
  before: z.optional(z.iso.datetime({ offset: true, message: "must be an ISO-8601 date-time, e.g. 2026-11-28T12:00:00Z" })),
  reason: Reason,
});

/** Body of `POST .../resume` and `POST /resume`. */
export const ResumeBodySchema = z.strictObject({ reason: Reason });

/** Body of `POST /rollouts/:id/approve`: why (goes into the audit log). */
export const ApproveBodySchema = z.strictObject({ reason: Reason });

export const AuditQuerySchema = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000)), 100),
  rollout: z.optional(RolloutId),
  before: z.optional(z.coerce.number().check(z.int(), z.gte(1))),
});

export const OverrideBodySchema = z.strictObject({
  variant: z.enum(["new", "legacy"]),
  ttlSeconds: z._default(z.number().check(z.int(), z.gte(60), z.lte(MAX_OVERRIDE_TTL_SECONDS)), 3600),
});

/** Who makes a change, for the audit log (`X-Actor`). */
export const ActorSchema = z.string().check(z.regex(/^[\w.@+-][\w .@+-]{0,99}$/));

/** A PATCH body: a JSON merge patch (RFC 7396) over the rollout config, validated after merging. */
export const RolloutPatchSchema = z.record(z.string(), z.unknown());

/** A PUT body: the rollout config; `id` may be left out (the URL names it) or must equal the URL's. */
export const RolloutBodySchema = z.extend(z.omit(RolloutConfigShape, { id: true }), { id: z.optional(RolloutId) });

export const AnalyticsQuerySchema = z.strictObject({
  /** How far back, in minutes (default one hour, at most a week). */
  minutes: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(7 * 24 * 60)), 60),
});

export const DeliveriesQuerySchema = z.strictObject({
  /** How many deliveries, newest first. */
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(200)), 50),
});

export const HealthQuerySchema = z.strictObject({
  /** Seconds of history to summarise (rounded up to whole 10 s slots; at most the hour kept). */
  window: z._default(z.coerce.number().check(z.int(), z.gte(10), z.lte(3600)), 60),
});

export const ShadowQuerySchema = z.strictObject({
  /** Seconds of shadow results to show (rounded up to whole 10 s slots; at most the hour kept). */
  window: z._default(z.coerce.number().check(z.int(), z.gte(10), z.lte(3600)), 300),
});

// ---- What the API answers -------------------------------------------------------------------

/** How a rollout stands now. */
export type RolloutStatus = "live" | "paused" | "killed" | "complete";

export interface StageView {
  /** Index of the current stage (-1 = below the first). */
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
  /**
   * The next stage requires an operator's approval that has not been given yet (`POST …/approve`
   * is accepted now). `waiting` says whether the hold, the guard or the approval holds it back.
   * Always sent; optional here because the CLI may talk to a router older than approvals.
   */
  awaitingApproval?: boolean;
}

/** A stored rollout with what the control plane derives about it now. */
export interface RolloutRecord extends StoredRollout {
  status: RolloutStatus;
  stage: StageView | null;
}

/** `GET /rollouts/:id/health`: both variants side by side, the guard's verdict, and a chart series. */
export interface HealthReport extends HealthSummary {
  rollout: string;
  now: string;
  status: RolloutStatus;
  /** The guard counts only traffic from here on (its last percentage change, resume or continue). */
  since: string;
  /** The guard's verdict as the alarm computes it: over the guard's window, since `since`. */
  verdict: Verdict;
  stage: StageView | null;
  series: HealthPoint[];
  /**
   * The rollout's external checks and probes as the last alarm left them; null when it has none.
   * Always sent; optional here because the CLI may talk to a router older than external checks.
   */
  external?: ExternalReport | null;
}

/**
 * `GET /rollouts/:id/shadow`: the shadow comparisons over a window, per matched path prefix (with
 * its mismatch rate), all prefixes together, and the newest mismatch examples in the window.
 */
export interface ShadowReport extends ShadowView {
  rollout: string;
  now: string;
  /** The window covered, in seconds (whole slots, the current one included). */
  windowSeconds: number;
  totals: ShadowTotals;
  /** The rollout's shadow settings now, or null when it mirrors nothing. */
  shadow: ShadowConfig | null;
}

/** One point of a health chart: one 10 s slot. */
export interface HealthPoint {
  at: string;
  legacy: VariantSummary;
  new: VariantSummary;
}

/** A rollout as the admin API shows it (`GET /rollouts/:id`, and inside lists and write results). */
export interface RolloutView {
  id: string;
  status: RolloutStatus;
  version: number;
  updatedAt: string;
  updatedBy: string;
  killReason: string | null;
  percentSince: string;
  paused: boolean;
  pauseReason: string | null;
  /** The operator's approval of the next stage, while it holds (see StoredRollout.approval). Always sent; absent from older routers. */
  approval?: StageApproval | null;
  stage: StageView | null;
  config: RolloutConfig;
}

/** `GET /rollouts`. */
export interface RolloutList {
  version: number;
  globalKill: GlobalKill;
  rollouts: RolloutView[];
  problems?: VarProblem[];
}

/** The answer to every write. */
export interface WriteResult {
  version: number;
  changed: boolean;
  rollout?: RolloutView;
  globalKill: GlobalKill;
  /** What the write did differently from what was asked, e.g. a kill kept by a replace. */
  notices?: string[];
}

/** `GET /audit`. */
export interface AuditPage {
  entries: AuditRecord[];
}

/** One webhook delivery as `GET /notifications/deliveries` lists it (times ISO-8601). */
export interface DeliveryView {
  /** Also sent as `x-edge-router-delivery`, the same on every attempt. */
  id: string;
  webhookId: string;
  url: string;
  event: NotificationEvent;
  rollout: string | null;
  /** The payload's one-line text. */
  text: string;
  createdAt: string;
  attempts: number;
  /** `pending` (will be tried again at `nextAttemptAt`), `delivered` (a 2xx came back), or `failed` (given up). */
  status: "pending" | "delivered" | "failed";
  nextAttemptAt: string | null;
  /** HTTP status of the last attempt; null without a response. */
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** `GET /notifications/deliveries`: newest first. */
export interface DeliveryList {
  deliveries: DeliveryView[];
}

/** An RFC 9457 problem (./problem.ts) with the members the admin API adds. */
export interface AdminProblem extends Problem {
  /** Field-level issues (422, 400 on a query). */
  errors?: FieldIssue[];
  /** 412: the version If-Match named, and the current one. */
  expected?: number;
  current?: number;
}

/** A segment as the admin API shows it (`GET /segments/:name`, in lists and write results). */
export interface SegmentView extends StoredSegment {
  /** The rollouts whose rules use this segment, by id (it cannot be deleted while any does). */
  usedBy: string[];
}

/** `GET /segments`. */
export interface SegmentList {
  version: number;
  segments: SegmentView[];
}

/** The answer to `PUT /segments/:name`. */
export interface SegmentWriteResult {
  version: number;
  changed: boolean;
  segment: SegmentView;
}
