/**
 * What every proxied request leaves behind, and where it goes: the Analytics Engine in production
 * (edge/record.ts), a recording sink in tests. Every implementation runs the same contract suite
 * (test/contracts/metrics-sink.contract.ts).
 */
import type { Decision } from "./decision";

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
