/**
 * A rollout's guard: limits on the new variant's health over a window, and what a breach does.
 * The schema is the contract; control/policy/guard.ts evaluates it.
 */
import * as z from "./zod";

const Rate = z.number().check(z.gte(0, "must be a fraction from 0 to 1 (0.05 = 5%)"), z.lte(1, "must be a fraction from 0 to 1 (0.05 = 5%)"));
const Millis = z.number().check(z.gt(0, "must be a positive number of milliseconds"), z.lte(600_000, "must be at most 600,000 ms"));
const Distinct = z.number().check(z.int("must be a whole number"), z.gte(1, "must be at least 1"), z.lte(100_000, "must be at most 100,000"));

/**
 * A guard judges nothing with fewer distinct users on new than this, and an error-rate limit
 * needs errors from at least this many: one client alone can neither kill a rollout nor, with its
 * weight capped per identity, hide a regression. Also the stand-in for guards stored before
 * `minUsers` existed.
 */
export const DEFAULT_MIN_USERS = 5;

/**
 * When the new variant counts as unhealthy. Every limit is optional; `minRequests` and `minUsers`
 * guard against deciding on too little data, or on one client's.
 *
 * @example { "windowSeconds": 60, "minRequests": 200, "minUsers": 5, "maxErrorRate": 0.05, "maxErrorRateDelta": 0.01, "maxP95DeltaMs": 100, "action": "kill" }
 */
export const GuardSchema = z.strictObject({
  /** The window the limits are measured over. @default 60 */
  windowSeconds: z._default(
    z.number().check(z.int("must be a whole number of seconds"), z.gte(10, "must be at least 10 s"), z.lte(3600, "must be at most 3600 s (the health history kept)")),
    60,
  ),
  /** Fewer requests than this in a variant's window: verdict inconclusive, never a breach. @default 100 */
  minRequests: z._default(z.number().check(z.int(), z.gte(1), z.lte(1_000_000)), 100),
  /**
   * Fewer distinct users than this on new: verdict inconclusive. An error-rate limit is breached
   * only by errors from at least this many distinct users. @default 5
   */
  minUsers: z._default(Distinct, DEFAULT_MIN_USERS),
  /**
   * When set, an error-rate limit is breached only by errors from at least this many distinct
   * client addresses (a defence against one client forging user ids). Off by default: many real
   * users share one address behind a NAT, and local tests all come from 127.0.0.1.
   */
  minClientIps: z.optional(Distinct),
  /** Largest acceptable error rate of new (5xx, connection failures, timeouts). */
  maxErrorRate: z.optional(Rate),
  /** Largest acceptable error rate of new minus that of legacy. */
  maxErrorRateDelta: z.optional(Rate),
  maxP95Ms: z.optional(Millis),
  maxP99Ms: z.optional(Millis),
  /** Largest acceptable p95 of new minus that of legacy. */
  maxP95DeltaMs: z.optional(Millis),
  /** What a breach does: `kill` (everyone to legacy) or `pause` (stop advancing stages). @default "kill" */
  action: z._default(z.enum(["kill", "pause"]), "kill"),
});

export type GuardConfig = z.infer<typeof GuardSchema>;

export type LimitName = "maxErrorRate" | "maxErrorRateDelta" | "maxP95Ms" | "maxP99Ms" | "maxP95DeltaMs";

/**
 * Limits on a share of requests: one client can push a share on its own, so a breach needs errors
 * from `minUsers` distinct users (and `minClientIps` addresses when set). A new ratio limit joins.
 */
export const RATIO_LIMITS: readonly LimitName[] = ["maxErrorRate", "maxErrorRateDelta"];

/** One limit that was exceeded. */
export interface Breach {
  limit: LimitName;
  threshold: number;
  /** The new variant's measured value (for deltas: new minus legacy). */
  value: number;
  /** Legacy's value of the same metric, for comparison. */
  baseline: number | null;
  sentence: string;
}

export interface Verdict {
  status: "healthy" | "breach" | "inconclusive" | "no-guard";
  /** One line an operator reads: what was measured, against what, on how much data. */
  summary: string;
  windowSeconds: number;
  samples: { legacy: number; new: number };
  /** Distinct users per variant in the window (estimates). */
  users: { legacy: number; new: number };
  breaches: Breach[];
  /** Limits that could not be checked (e.g. deltas without enough legacy traffic). */
  skipped: LimitName[];
  /** Ratio limits exceeded by errors from too few distinct users (or addresses): not breaches. */
  unconfirmed: LimitName[];
}
