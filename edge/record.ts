/**
 * What every proxied request leaves behind: one Analytics Engine data point and one JSON log
 * line. Writes go through a small sink interface so that tests can record them (locally the real
 * Analytics Engine binding drops every write).
 */
import type { Decision } from "../contracts/decision";
import type { MetricsSink, RequestRecord, ShadowRecord } from "../contracts/metrics-sink";

/** Analytics Engine accepts at most this many data points per invocation. */
export const MAX_DATA_POINTS_PER_INVOCATION = 25;

/**
 * One data point per request and one per shadow comparison, together at most
 * {@link MAX_DATA_POINTS_PER_INVOCATION} (the proxy's own first, as they are written first); never throws.
 */
export class AnalyticsEngineSink implements MetricsSink {
  private written = 0;
  constructor(private readonly dataset: AnalyticsEngineDataset | undefined) {}

  write(record: RequestRecord): void {
    this.put(() => toDataPoint(record));
  }

  writeShadow(record: ShadowRecord): void {
    this.put(() => toShadowDataPoint(record));
  }

  private put(point: () => AnalyticsEngineDataPoint): void {
    if (!this.dataset || this.written >= MAX_DATA_POINTS_PER_INVOCATION) return;
    this.written++;
    try {
      this.dataset.writeDataPoint(point());
    } catch {
      // Analytics must never break a request.
    }
  }
}

/** `blob1` of a shadow comparison's data point: where a request's holds its variant. */
export const SHADOW_BLOB = "shadow";

/**
 * A shadow comparison's data point (documented in docs/analytics.md). Laid out like a request's,
 * so the standard queries read it as a third "variant": blob1 `shadow`, status and latency are
 * new's (the mirror's), and the comparison's outcome stands where a request's reason does.
 */
export function toShadowDataPoint(record: ShadowRecord): AnalyticsEngineDataPoint {
  const statusClass = record.newStatus === 0 ? "error" : `${Math.floor(record.newStatus / 100)}xx`;
  return {
    indexes: [record.rolloutId.slice(0, 96)],
    blobs: [SHADOW_BLOB, record.outcome, record.method, statusClass, record.colo, record.country, record.pathPrefix, (record.pointer ?? "").slice(0, 256)],
    doubles: [record.newLatencyMs ?? -1, record.newStatus, -1, record.legacyStatus, record.legacyLatencyMs],
  };
}

/** The log line of a mirror that did not match (matches are only counted). */
export function shadowLogLine(record: ShadowRecord): Record<string, unknown> {
  return {
    event: "shadow",
    rollout: record.rolloutId,
    outcome: record.outcome,
    pointer: record.pointer,
    method: record.method,
    pathPrefix: record.pathPrefix,
    legacyStatus: record.legacyStatus,
    newStatus: record.newStatus,
    legacyLatencyMs: record.legacyLatencyMs,
    newLatencyMs: record.newLatencyMs,
  };
}

/** The exact data point shape (documented in docs/analytics.md). */
export function toDataPoint(record: RequestRecord): AnalyticsEngineDataPoint {
  const d = record.decision;
  return {
    indexes: [(d.rolloutId ?? "(none)").slice(0, 96)],
    blobs: [d.variant, d.reason, record.method, record.status === 0 ? "error" : `${Math.floor(record.status / 100)}xx`, record.colo, record.country, record.pathPrefix],
    doubles: [record.latencyMs, record.status, record.responseBytes ?? -1],
  };
}

const str = (value: string) => JSON.stringify(value);
const strOrNull = (value: string | null) => (value === null ? "null" : JSON.stringify(value));
const numOrNull = (value: number | null) => (value === null || !Number.isFinite(value) ? "null" : String(value));

/**
 * The structured line `wrangler tail --format json` shows for each request, as JSON text written
 * in one template (per request, building an object and stringifying it cost more than the text):
 * `event`, `rollout`, `variant`, `reason`, `detail` (when there is one), `bucket`, `threshold`,
 * `user` (the identity's source, never the id), `method`, `host`, `path`, `status`, `latencyMs`,
 * `colo`, `configVersion`, and `stale`, `retriedOnLegacy`, `error` only when they apply.
 */
export function logText(record: RequestRecord): string {
  const d = record.decision;
  return (
    `{"event":"proxy","rollout":${strOrNull(d.rolloutId)},"variant":${str(d.variant)},"reason":${str(d.reason)}` +
    (d.detail ? `,"detail":${str(d.detail)}` : "") +
    `,"bucket":${numOrNull(d.bucket)},"threshold":${numOrNull(d.threshold)},"user":${strOrNull(d.identity?.source ?? null)}` +
    `,"method":${str(record.method)},"host":${str(record.host)},"path":${str(record.path)},"status":${numOrNull(record.status)}` +
    `,"latencyMs":${numOrNull(record.latencyMs)},"colo":${str(record.colo)},"configVersion":${numOrNull(record.configVersion)}` +
    (record.stale ? `,"stale":true` : "") +
    (record.retriedOnLegacy ? `,"retriedOnLegacy":true` : "") +
    (record.error ? `,"error":${str(record.error)}` : "") +
    "}"
  );
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
