/**
 * Per-variant health as it travels from isolates to the control plane: the counters of one
 * variant, a flush, and how they merge. Plain JSON-serialisable data (it crosses RPC and is stored
 * as JSON) and pure functions.
 */
import type { Variant } from "./decision";
import { emptyHistogram, merge, revive, type Histogram } from "./histogram";
import { mergeShadowFlush, type ShadowFlush } from "./shadow-stats";
import { emptySketch, merge as mergeSketch, reviveSketch, union, type Sketch } from "./sketch";

export interface VariantStats {
  requests: number;
  /** 5xx from the origin, connection failures, timeouts. */
  errors: number;
  /** 4xx: counted apart, not errors. */
  clientErrors: number;
  latency: Histogram;
  /** Distinct identities seen (HyperLogLog), whether or not their requests were counted. */
  users: Sketch;
  /** Distinct identities that saw an error. */
  errorUsers: Sketch;
  /** Distinct client addresses that saw an error. */
  errorIps: Sketch;
}

export type RolloutStats = Record<Variant, VariantStats>;

export function emptyVariantStats(): VariantStats {
  return { requests: 0, errors: 0, clientErrors: 0, latency: emptyHistogram(), users: emptySketch(), errorUsers: emptySketch(), errorIps: emptySketch() };
}

export function emptyRolloutStats(): RolloutStats {
  return { legacy: emptyVariantStats(), new: emptyVariantStats() };
}

/**
 * Both inputs' requests together. Either may come from storage or an older isolate: a missing
 * sketch (stats written before sketches existed) reads as empty.
 */
export function mergeVariantStats(a: VariantStats, b: VariantStats): VariantStats {
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    clientErrors: a.clientErrors + b.clientErrors,
    latency: merge(revive(a.latency), revive(b.latency)),
    users: mergeSketch(reviveSketch(a.users), reviveSketch(b.users)),
    errorUsers: mergeSketch(reviveSketch(a.errorUsers), reviveSketch(b.errorUsers)),
    errorIps: mergeSketch(reviveSketch(a.errorIps), reviveSketch(b.errorIps)),
  };
}

/** Many slots' stats of one variant together (a window): the sketches united in one pass each. */
export function combineVariantStats(list: readonly VariantStats[]): VariantStats {
  let latency = emptyHistogram();
  for (const v of list) latency = merge(latency, revive(v.latency));
  const sum = (pick: (v: VariantStats) => number) => list.reduce((n, v) => n + pick(v), 0);
  const sketches = (pick: (v: VariantStats) => unknown) => union(list.map((v) => reviveSketch(pick(v))));
  return {
    requests: sum((v) => v.requests),
    errors: sum((v) => v.errors),
    clientErrors: sum((v) => v.clientErrors),
    latency,
    users: sketches((v) => v.users),
    errorUsers: sketches((v) => v.errorUsers),
    errorIps: sketches((v) => v.errorIps),
  };
}

/** How one request ended, as health counts it. */
export interface Outcome {
  /** HTTP status, or 0 when no origin answered (connection failure, timeout). */
  status: number;
  latencyMs: number;
  /**
   * Who sent it (the decision's user id), or null without one. One identity's requests count
   * towards requests, errors and latency only up to a cap per flush (edge/health-batcher.ts), and
   * guards want errors from several distinct identities before they act.
   */
  user: string | null;
  /** The client's address (`cf-connecting-ip`), or null; counted only when it saw an error. */
  clientIp: string | null;
}

export function isError(status: number): boolean {
  return status === 0 || status >= 500;
}

/** What an isolate sends to the Durable Object. */
export interface HealthFlush {
  rollouts: Record<string, RolloutStats>;
  /**
   * Shadow comparisons since the last flush (contracts/shadow-stats.ts), when there were any: they
   * travel with health, through the same replicas, at the same pace.
   */
  shadow?: ShadowFlush;
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
  /** Distinct identities seen (an estimate within about 2%, nearly exact for small counts). */
  users: number;
  /** Distinct identities that saw an error. */
  errorUsers: number;
  /** Distinct client addresses that saw an error. */
  errorIps: number;
}

export interface HealthSummary {
  /** The window actually covered, in seconds (whole slots, the current one included). */
  windowSeconds: number;
  legacy: VariantSummary;
  new: VariantSummary;
}

/**
 * Two flushes as one (a regional aggregator merging what its isolates sent): counts add,
 * histograms and distinct-count sketches merge, shadow results merge (the newest examples kept),
 * so the primary judges exactly the same numbers.
 */
export function mergeFlushes(a: HealthFlush, b: HealthFlush): HealthFlush {
  const rollouts: Record<string, RolloutStats> = { ...a.rollouts };
  for (const [id, stats] of Object.entries(b.rollouts)) {
    const mine = rollouts[id];
    rollouts[id] = mine ? { legacy: mergeVariantStats(mine.legacy, stats.legacy), new: mergeVariantStats(mine.new, stats.new) } : stats;
  }
  const shadow = a.shadow && b.shadow ? mergeShadowFlush(a.shadow, b.shadow) : (a.shadow ?? b.shadow);
  return shadow ? { rollouts, shadow } : { rollouts };
}
