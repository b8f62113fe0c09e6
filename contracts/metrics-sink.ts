/**
 * What every proxied request leaves behind, and where it goes: the Analytics Engine in production
 * (edge/record.ts), a recording sink in tests. Every implementation runs the same contract suite
 * (test/contracts/metrics-sink.contract.ts).
 */
import type { Decision } from "./decision";
import type { MismatchKind } from "./shadow-stats";

/** Everything known about one proxied request once its response headers are back. */
export interface RequestRecord {
  decision: Decision;
  method: string;
  host: string;
  path: string;
  /** The matched path prefix, or "" when no rollout matched. */
  pathPrefix: string;
  status: number;
  latencyMs: number;
  colo: string;
  country: string;
  /** Response size from Content-Length, when the origin sent one. */
  responseBytes: number | null;
  configVersion: number | null;
  /** Set when the snapshot in use could not be refreshed. */
  stale: boolean;
  /** Set when the new origin failed and the request was retried on legacy. */
  retriedOnLegacy: boolean;
  error?: string;
}

/** One shadow comparison (edge/shadow/mirror.ts), once both answers are in or the mirror failed. */
export interface ShadowRecord {
  rolloutId: string;
  /** The matched path prefix. */
  pathPrefix: string;
  method: string;
  /** `match`, the kind of the first difference, or `error` (new gave no answer in time). */
  outcome: "match" | MismatchKind | "error";
  /** Where the first difference is (RFC 6901), or null. */
  pointer: string | null;
  legacyStatus: number;
  /** 0 when new gave no answer. */
  newStatus: number;
  /** Until legacy's response headers. */
  legacyLatencyMs: number;
  /** Until new's response headers; null when it gave none. */
  newLatencyMs: number | null;
  colo: string;
  country: string;
}

export interface MetricsSink {
  write(record: RequestRecord): void;
  /** One shadow comparison; shares the per-invocation limit with `write`. Optional: a sink may not keep them. */
  writeShadow?(record: ShadowRecord): void;
}
