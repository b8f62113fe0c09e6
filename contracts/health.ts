/**
 * Per-variant health as it travels from isolates to the control plane: the counters of one
 * variant, a flush, and how they merge. Plain JSON-serialisable data (it crosses RPC and is stored
 * as JSON) and pure functions.
 */
import type { Variant } from "./decision";
import { emptyHistogram, merge, revive, type Histogram } from "./histogram";

export interface VariantStats {
  requests: number;
  /** 5xx from the origin, connection failures, timeouts. */
  errors: number;
  /** 4xx: counted apart, not errors. */
  clientErrors: number;
  latency: Histogram;
}

export type RolloutStats = Record<Variant, VariantStats>;

export function emptyVariantStats(): VariantStats {
  return { requests: 0, errors: 0, clientErrors: 0, latency: emptyHistogram() };
}

export function emptyRolloutStats(): RolloutStats {
  return { legacy: emptyVariantStats(), new: emptyVariantStats() };
}

export function mergeVariantStats(a: VariantStats, b: VariantStats): VariantStats {
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    clientErrors: a.clientErrors + b.clientErrors,
    latency: merge(revive(a.latency), revive(b.latency)),
  };
}

/** How one request ended, as health counts it. */
export interface Outcome {
  /** HTTP status, or 0 when no origin answered (connection failure, timeout). */
  status: number;
  latencyMs: number;
}

export function isError(status: number): boolean {
  return status === 0 || status >= 500;
}

/** What an isolate sends to the Durable Object. */
export interface HealthFlush {
  rollouts: Record<string, RolloutStats>;
}

/** One variant over a window, as operators read it. */
export interface VariantSummary {
  requests: number;
  errors: number;
  clientErrors: number;
  /** errors / requests, or null without requests. */
  errorRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface HealthSummary {
  /** The window actually covered, in seconds (whole slots, the current one included). */
  windowSeconds: number;
  legacy: VariantSummary;
  new: VariantSummary;
}
