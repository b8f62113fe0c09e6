/**
 * What every proxied request leaves behind: one Analytics Engine data point and one JSON log
 * line. Writes go through a small sink interface so that tests can record them (locally the real
 * Analytics Engine binding drops every write).
 */
import type { Decision } from "./decide";

/** Analytics Engine accepts at most this many data points per invocation. */
export const MAX_DATA_POINTS_PER_INVOCATION = 25;

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

export interface MetricsSink {
  write(record: RequestRecord): void;
}

/** One data point per request; at most {@link MAX_DATA_POINTS_PER_INVOCATION}; never throws. */
export class AnalyticsEngineSink implements MetricsSink {
  private written = 0;
  constructor(private readonly dataset: AnalyticsEngineDataset | undefined) {}

  write(record: RequestRecord): void {
    if (!this.dataset || this.written >= MAX_DATA_POINTS_PER_INVOCATION) return;
    this.written++;
    try {
      this.dataset.writeDataPoint(toDataPoint(record));
    } catch {
      // Analytics must never break a request.
    }
  }
}

/** The exact data point shape (documented in docs/analytics.md). */
export function toDataPoint(record: RequestRecord): AnalyticsEngineDataPoint {
  const d = record.decision;
  return {
    indexes: [(d.rolloutId ?? "(none)").slice(0, 96)],
    blobs: [
      d.variant,
      d.reason,
      record.method,
      record.status === 0 ? "error" : `${Math.floor(record.status / 100)}xx`,
      record.colo,
      record.country,
      record.pathPrefix,
    ],
    doubles: [record.latencyMs, record.status, record.responseBytes ?? -1],
  };
}

/** Keeps data points in memory, for tests. */
export class RecordingSink implements MetricsSink {
  readonly records: RequestRecord[] = [];
  write(record: RequestRecord): void {
    this.records.push(record);
  }
}

/** The structured line `wrangler tail --format json` shows for each request. */
export function logLine(record: RequestRecord): Record<string, unknown> {
  const d = record.decision;
  return {
    event: "proxy",
    rollout: d.rolloutId,
    variant: d.variant,
    reason: d.reason,
    ...(d.detail ? { detail: d.detail } : {}),
    bucket: d.bucket,
    threshold: d.threshold,
    user: d.identity?.source ?? null,
    method: record.method,
    host: record.host,
    path: record.path,
    status: record.status,
    latencyMs: record.latencyMs,
    colo: record.colo,
    configVersion: record.configVersion,
    ...(record.stale ? { stale: true } : {}),
    ...(record.retriedOnLegacy ? { retriedOnLegacy: true } : {}),
    ...(record.error ? { error: record.error } : {}),
  };
}

/** Short form of a decision for the `x-rollout-decision` debug header. */
export function describeDecision(d: Decision, configVersion: number | null): string {
  const parts = [`rollout=${d.rolloutId ?? "-"}`, `variant=${d.variant}`, `reason=${d.reason}`];
  if (d.detail) parts.push(`detail=${d.detail}`);
  if (d.bucket !== null) parts.push(`bucket=${d.bucket}`, `threshold=${d.threshold}`);
  if (d.identity) parts.push(`user=${d.identity.source}`);
  parts.push(`version=${configVersion ?? "-"}`);
  return parts.join("; ");
}
