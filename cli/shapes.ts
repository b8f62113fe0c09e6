/**
 * What the tool relies on in the router's answers: the wire types it reads (contracts/admin-wire.ts)
 * and a check per answer that it has that shape, since another server may answer JSON too
 * (./client.ts refuses an answer that fails its check).
 */
import type { AdminProblem, HealthReport, RolloutList, RolloutView, SegmentList, SegmentView, SegmentWriteResult, WriteResult as WriteReply } from "../contracts/admin-wire";

export type { RolloutList, RolloutView, WriteReply };

/**
 * `GET /rollouts/:id/health`. Only `windowSeconds`, the variants and the verdict are guaranteed;
 * the rest is shown when the router sends it.
 */
export type Health = Pick<HealthReport, "rollout" | "windowSeconds" | "legacy" | "new"> & {
  verdict: Pick<HealthReport["verdict"], "status" | "summary"> & Partial<Pick<HealthReport["verdict"], "breaches" | "warnings">>;
} & Partial<Pick<HealthReport, "status" | "stage" | "now" | "external">>;

/** RFC 9457 problem as the router writes it; any member may be missing from what another server sends. */
export type Problem = Partial<AdminProblem>;

/** Checks that an answer has the shape the tool relies on (another server may answer JSON too). */
export type Shape<T> = (value: unknown) => value is T;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export const isRolloutView: Shape<RolloutView> = (v): v is RolloutView =>
  isRecord(v) && typeof v.id === "string" && typeof v.version === "number" && typeof v.status === "string" && isRecord(v.config);
export const isRolloutList: Shape<RolloutList> = (v): v is RolloutList =>
  isRecord(v) && typeof v.version === "number" && isRecord(v.globalKill) && Array.isArray(v.rollouts) && v.rollouts.every(isRolloutView);
export const isWriteReply: Shape<WriteReply> = (v): v is WriteReply =>
  isRecord(v) && typeof v.version === "number" && typeof v.changed === "boolean" && isRecord(v.globalKill) && (v.rollout === undefined || isRolloutView(v.rollout));
const isSegmentView = (v: unknown): v is SegmentView => isRecord(v) && typeof v.name === "string" && typeof v.version === "number" && Array.isArray(v.when);
export const isSegmentList: Shape<SegmentList> = (v): v is SegmentList =>
  isRecord(v) && typeof v.version === "number" && Array.isArray(v.segments) && v.segments.every(isSegmentView);
export const isSegmentWriteResult: Shape<SegmentWriteResult> = (v): v is SegmentWriteResult =>
  isRecord(v) && typeof v.version === "number" && typeof v.changed === "boolean" && isSegmentView(v.segment);
export const isHealth: Shape<Health> = (v): v is Health =>
  isRecord(v) && typeof v.windowSeconds === "number" && isRecord(v.legacy) && isRecord(v.new) && isRecord(v.verdict) && typeof v.verdict.status === "string";
