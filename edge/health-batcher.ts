/**
 * Per-variant health counting in the isolate: every proxied request adds to in-memory counters
 * (a map lookup, three additions and a histogram bucket), and the counters are flushed to the
 * control plane in the background at most once a second, never once per request. The counting
 * functions are pure over a plain accumulator (`now` passed in); HealthBatcher adds the flushing.
 */
import { emptyRolloutStats, isError, type HealthFlush, type Outcome, type RolloutStats } from "../contracts/health";
import type { Variant } from "../contracts/decision";
import { record } from "../contracts/histogram";

/** Isolates flush at most this often (and never once per request). */
export const FLUSH_INTERVAL_MS = 1000;

/** The isolate's counters since its last flush. */
export interface HealthAccumulator {
  rollouts: Map<string, RolloutStats>;
  lastFlushAt: number;
}

export function newAccumulator(now: number): HealthAccumulator {
  return { rollouts: new Map(), lastFlushAt: now };
}

/** Counts one request (hot path: a map lookup, three additions and a histogram bucket). */
export function recordOutcome(acc: HealthAccumulator, rolloutId: string, variant: Variant, outcome: Outcome): void {
  let stats = acc.rollouts.get(rolloutId);
  if (!stats) {
    stats = emptyRolloutStats();
    acc.rollouts.set(rolloutId, stats);
  }
  const v = stats[variant];
  v.requests++;
  if (isError(outcome.status)) v.errors++;
  else if (outcome.status >= 400) v.clientErrors++;
  record(v.latency, outcome.latencyMs);
}

/** Whether an isolate may flush now: something to send and a second since the last flush. */
export function shouldFlush(acc: HealthAccumulator, now: number): boolean {
  return acc.rollouts.size > 0 && now - acc.lastFlushAt >= FLUSH_INTERVAL_MS;
}

/** The payload to flush, resetting the accumulator; `undefined` when it is not time yet. */
export function takeFlush(acc: HealthAccumulator, now: number): HealthFlush | undefined {
  if (!shouldFlush(acc, now)) return undefined;
  const rollouts = Object.fromEntries(acc.rollouts);
  acc.rollouts = new Map();
  acc.lastFlushAt = now;
  return { rollouts };
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
