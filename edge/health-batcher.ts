/**
 * Per-variant health counting in the isolate (and the shadow comparisons, which travel with it):
 * every proxied request adds to in-memory counters
 * (a couple of map lookups, three additions and a histogram bucket; distinct-count sketches for a
 * new identity or an error), with one identity's weight capped per flush, and the counters are flushed to the
 * control plane in the background at most once a second, never once per request. The counting
 * functions are pure over a plain accumulator (`now` passed in); HealthBatcher adds the flushing.
 */
import { emptyRolloutStats, isError, type HealthFlush, type Outcome, type RolloutStats } from "../contracts/health";
import type { Variant } from "../contracts/decision";
import { record } from "../contracts/histogram";
import { newShadowAccumulator, recordShadow, takeShadowFlush, type ShadowAccumulator, type ShadowOutcome } from "../contracts/shadow-stats";
import { hashIdentity, SketchBuilder } from "../contracts/sketch";
import { PerKeyCounts } from "./per-key-counts";

/** Isolates flush at most this often (and never once per request). */
export const FLUSH_INTERVAL_MS = 1000;

/**
 * At most this many requests of one identity, per rollout and variant, count towards requests,
 * errors and latency per flush (about a second). A person loading a page makes a handful of
 * requests per second to one rollout's paths; a client beyond ten is a script, a retry loop or an
 * attack, and its extra requests say nothing new about the variant. Without this, one client
 * looping on a failing path kills a rollout on its own, and one flooding fast 200s dilutes a real
 * regression. Its requests beyond the cap still reach the sketches (distinct counts do not grow).
 */
export const PER_USER_REQUESTS_PER_FLUSH = 10;

/**
 * Identities tracked for the cap per flush, over every rollout and variant. Beyond this, new
 * identities count without a cap until the next flush: memory stays bounded, and only a client
 * making over 10,000 distinct identities a second in one isolate gets past it (such a client
 * already counts as that many users; `minClientIps` is the defence against forged identities).
 */
export const MAX_TRACKED_IDENTITIES = 10_000;

/** A variant's distinct counts being filled (one rollout and variant). */
interface VariantSketches {
  users: SketchBuilder;
  errorUsers: SketchBuilder;
  errorIps: SketchBuilder;
}

/** The isolate's counters since its last flush. */
export interface HealthAccumulator {
  rollouts: Map<string, RolloutStats>;
  /**
   * The variants' distinct-count sketches, filled in place (per request, a new identity raises
   * one register; copying a sketch per request cost a tenth of the router's CPU), keyed
   * `rollout\nvariant`; written into `rollouts` when flushed.
   */
  sketches: Map<string, VariantSketches>;
  /** Requests seen per rollout, variant and identity since the last flush (bounded). */
  perIdentity: PerKeyCounts;
  /** Shadow comparisons since the last flush (they travel with the health counts). */
  shadow: ShadowAccumulator;
  lastFlushAt: number;
}

export function newAccumulator(now: number): HealthAccumulator {
  return { rollouts: new Map(), sketches: new Map(), perIdentity: new PerKeyCounts(MAX_TRACKED_IDENTITIES), shadow: newShadowAccumulator(), lastFlushAt: now };
}

const hasShadow = (acc: HealthAccumulator) => Object.keys(acc.shadow.rollouts).length > 0;

function sketchesOf(acc: HealthAccumulator, key: string): VariantSketches {
  let sketches = acc.sketches.get(key);
  if (!sketches) {
    sketches = { users: new SketchBuilder(), errorUsers: new SketchBuilder(), errorIps: new SketchBuilder() };
    acc.sketches.set(key, sketches);
  }
  return sketches;
}

/**
 * Adds the identity and address to the variant's distinct counts (`key`: rollout and variant);
 * whether the request counts towards requests, errors and latency (under the cap, or no identity).
 */
function countIdentity(acc: HealthAccumulator, key: string, outcome: Outcome, error: boolean): boolean {
  if (error && outcome.clientIp) sketchesOf(acc, key).errorIps.add(hashIdentity(outcome.clientIp));
  if (outcome.user === null) return true;
  const seen = acc.perIdentity.seen(`${key}\n${outcome.user}`);
  // Hash only when a sketch may change: a tracked identity's first request, or any error.
  if (seen === 0 || seen === undefined || error) {
    const hash = hashIdentity(outcome.user);
    const sketches = sketchesOf(acc, key);
    if (seen === 0 || seen === undefined) sketches.users.add(hash);
    if (error) sketches.errorUsers.add(hash);
  }
  return seen === undefined || seen < PER_USER_REQUESTS_PER_FLUSH;
}

/** Counts one request (hot path: a couple of map lookups, three additions and a histogram bucket). */
export function recordOutcome(acc: HealthAccumulator, rolloutId: string, variant: Variant, outcome: Outcome): void {
  let stats = acc.rollouts.get(rolloutId);
  if (!stats) {
    stats = emptyRolloutStats();
    acc.rollouts.set(rolloutId, stats);
  }
  const v = stats[variant];
  const error = isError(outcome.status);
  if (!countIdentity(acc, `${rolloutId}\n${variant}`, outcome, error)) return;
  v.requests++;
  if (error) v.errors++;
  else if (outcome.status >= 400) v.clientErrors++;
  record(v.latency, outcome.latencyMs);
}

/** Whether an isolate may flush now: something to send and a second since the last flush. */
export function shouldFlush(acc: HealthAccumulator, now: number): boolean {
  return (acc.rollouts.size > 0 || hasShadow(acc)) && now - acc.lastFlushAt >= FLUSH_INTERVAL_MS;
}

/** The payload to flush, resetting the accumulator; `undefined` when it is not time yet. */
export function takeFlush(acc: HealthAccumulator, now: number): HealthFlush | undefined {
  if (!shouldFlush(acc, now)) return undefined;
  for (const [key, sketches] of acc.sketches) {
    const [rolloutId, variant] = key.split("\n") as [string, Variant];
    const v = acc.rollouts.get(rolloutId)?.[variant];
    if (!v) continue;
    v.users = sketches.users.take();
    v.errorUsers = sketches.errorUsers.take();
    v.errorIps = sketches.errorIps.take();
  }
  const rollouts = Object.fromEntries(acc.rollouts);
  const shadow = hasShadow(acc) ? takeShadowFlush(acc.shadow) : undefined;
  acc.rollouts = new Map();
  acc.sketches = new Map();
  acc.perIdentity = new PerKeyCounts(MAX_TRACKED_IDENTITIES);
  acc.lastFlushAt = now;
  return shadow ? { rollouts, shadow } : { rollouts };
}

/** Where a flush goes (the primary Durable Object today; a regional aggregator at scale). */
export type FlushTarget = (flush: HealthFlush) => Promise<void>;

export interface BatcherStats {
  flushes: number;
  flushFailures: number;
}

/**
 * The isolate's health counters and their background flushing: at most one flush per
 * FLUSH_INTERVAL_MS, through `waitUntil` so the response never waits; a delayed flush makes sure
 * the last counts arrive even when traffic stops. A failed flush is dropped (never retried on the
 * hot path) and logged.
 */
export class HealthBatcher {
  private readonly acc: HealthAccumulator;
  private flushScheduled = false;
  readonly stats: BatcherStats = { flushes: 0, flushFailures: 0 };

  constructor(
    private readonly target: FlushTarget,
    private readonly clock: () => number,
    private readonly log: (line: Record<string, unknown>) => void,
  ) {
    this.acc = newAccumulator(clock());
  }

  /** Counts one request and, when due, flushes in the background. */
  count(rolloutId: string, variant: Variant, outcome: Outcome, waitUntil: (promise: Promise<unknown>) => void): void {
    recordOutcome(this.acc, rolloutId, variant, outcome);
    this.scheduleFlush(waitUntil);
  }

  /** Counts one shadow comparison (matched by `prefix`) and, when due, flushes in the background. */
  countShadow(rolloutId: string, prefix: string, outcome: ShadowOutcome, waitUntil: (promise: Promise<unknown>) => void): void {
    recordShadow(this.acc.shadow, rolloutId, prefix, outcome);
    this.scheduleFlush(waitUntil);
  }

  private scheduleFlush(waitUntil: (promise: Promise<unknown>) => void): void {
    const now = this.clock();
    if (shouldFlush(this.acc, now)) {
      waitUntil(this.flush());
    } else if (!this.flushScheduled) {
      // Counts must not wait for the next request: flush them when the second is up, after this
      // response has gone (one pending flush per isolate).
      this.flushScheduled = true;
      const delay = Math.max(0, this.acc.lastFlushAt + FLUSH_INTERVAL_MS - now);
      waitUntil(new Promise((resolve) => setTimeout(resolve, delay)).then(() => this.flush()));
    }
  }

  /** Sends the counters gathered so far (if it is time); a failure drops them. */
  async flush(): Promise<void> {
    this.flushScheduled = false;
    const flush = takeFlush(this.acc, this.clock());
    if (!flush) return;
    this.stats.flushes++;
    try {
      await this.target(flush);
    } catch (error) {
      this.stats.flushFailures++;
      this.log({ event: "health-flush-dropped", error: error instanceof Error ? error.message : String(error) });
    }
  }
}
