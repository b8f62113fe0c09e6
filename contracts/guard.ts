/**
 * A rollout's guard: limits on the new variant's health over a window, what a breach does, and
 * softer `warn` limits that only notify. The schema is the contract; control/policy/guard.ts
 * evaluates it.
 */
import type { ShadowTotals } from "./shadow-stats";
import { ExternalChecksSchema } from "./external";
import type { ExternalVerdictView } from "./external-wire";
import * as z from "./zod";

const Rate = z.number().check(z.gte(0, "must be a fraction from 0 to 1 (0.05 = 5%)"), z.lte(1, "must be a fraction from 0 to 1 (0.05 = 5%)"));
const Millis = z.number().check(z.gt(0, "must be a positive number of milliseconds"), z.lte(600_000, "must be at most 600,000 ms"));
const Distinct = z.number().check(z.int("must be a whole number"), z.gte(1, "must be at least 1"), z.lte(100_000, "must be at most 100,000"));
/** New ÷ legacy: 1.2 = new may be 20% worse than legacy. Below 1 would demand new be better. */
const Ratio = z.number().check(z.gte(1, "must be at least 1 (new ÷ legacy: 1.2 = up to 20% worse than legacy)"), z.lte(1000, "must be at most 1000"));

/**
 * A guard judges nothing with fewer distinct users on new than this, and an error-rate limit
 * needs errors from at least this many: one client alone can neither kill a rollout nor, with its
 * weight capped per identity, hide a regression. Also the stand-in for guards stored before
 * `minUsers` existed.
 */
export const DEFAULT_MIN_USERS = 5;

/**
 * `maxErrorRateRatio` divides by legacy's error rate, which is often 0: legacy's rate counts as at
 * least this (0.1%), so with legacy at 0% and a ratio of 1.2 new may fail up to 0.12% of requests.
 */
export const ERROR_RATE_RATIO_FLOOR = 0.001;
/** `maxP95Ratio` and `maxP99Ratio` divide by legacy's percentile: it counts as at least 1 ms. */
export const LATENCY_RATIO_FLOOR_MS = 1;

/** Every limit a guard (or its `warn`) may set, in the order verdicts list them. */
export const LIMIT_NAMES = [
  "maxErrorRate",
  "maxErrorRateDelta",
  "maxErrorRateRatio",
  "maxP50Ms",
  "maxP95Ms",
  "maxP99Ms",
  "maxP50DeltaMs",
  "maxP95DeltaMs",
  "maxP95Ratio",
  "maxP99Ratio",
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** The limits, each optional: shared by the guard and its `warn`. */
const LIMITS_SHAPE = {
  /** Largest acceptable error rate of new (5xx, connection failures, timeouts). */
  maxErrorRate: z.optional(Rate),
  /** Largest acceptable error rate of new minus that of legacy. */
  maxErrorRateDelta: z.optional(Rate),
  /** Largest acceptable error rate of new divided by that of legacy (at least ERROR_RATE_RATIO_FLOOR). */
  maxErrorRateRatio: z.optional(Ratio),
  maxP50Ms: z.optional(Millis),
  maxP95Ms: z.optional(Millis),
  maxP99Ms: z.optional(Millis),
  /** Largest acceptable p50 of new minus that of legacy. */
  maxP50DeltaMs: z.optional(Millis),
  /** Largest acceptable p95 of new minus that of legacy. */
  maxP95DeltaMs: z.optional(Millis),
  /** Largest acceptable p95 of new divided by that of legacy (1.5 = 50% slower). */
  maxP95Ratio: z.optional(Ratio),
  maxP99Ratio: z.optional(Ratio),
};

/**
 * Limits that only warn: a `guard-warning` notification (at most once per window) and a line on
 * the dashboard; never a kill or a pause.
 *
 * @example { "maxErrorRate": 0.02, "maxP95Ms": 600 }
 */
export const GuardLimitsSchema = z.strictObject(LIMITS_SHAPE);
export type GuardLimits = z.infer<typeof GuardLimitsSchema>;

/** A warning set at or above its own hard limit could never warn before the guard acts. */
const warnBelowLimits = z.superRefine((guard: { warn?: GuardLimits } & GuardLimits, ctx) => {
  for (const limit of LIMIT_NAMES) {
    const warn = guard.warn?.[limit];
    const hard = guard[limit];
    if (warn === undefined || hard === undefined || warn < hard) continue;
    ctx.issues.push({
      code: "custom",
      path: ["warn", limit],
      message: `must be below the guard's own ${limit} (${hard}): the guard would act before this warned`,
      input: warn,
    });
  }
});

/**
 * When the new variant counts as unhealthy. Every limit is optional; `minRequests` and `minUsers`
 * guard against deciding on too little data, or on one client's.
 *
 * @example { "windowSeconds": 60, "minRequests": 200, "minUsers": 5, "maxErrorRate": 0.05, "maxErrorRateRatio": 1.2, "maxP95DeltaMs": 100, "warn": { "maxErrorRate": 0.02 },
 *   "external": [{ "name": "queue_depth", "provider": "prometheus", "url": "http://prometheus:9090", "query": "sum(celery_queue_length)", "max": 5000 }], "action": "kill" }
 */
export const GuardSchema = z
  .strictObject({
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
    ...LIMITS_SHAPE,
    /**
     * Largest acceptable share of shadow comparisons (contracts/shadow.ts) where new answered
     * differently from legacy: mismatched ÷ (matched + mismatched), over the guard's window since
     * `guardSince`, judged on at least `minRequests` comparisons (mirrors without an answer are not
     * comparisons). Also what a stage with `requireShadowMatch` waits for.
     */
    maxMismatchRate: z.optional(Rate),
    /** Softer limits of the same kinds: they notify, and never act. */
    warn: z.optional(GuardLimitsSchema),
    /**
     * Checks beyond the proxy (Prometheus, Datadog, a JSON endpoint, pushed signals), polled by the
     * Durable Object's alarm, never on the request path. `minRequests` and `minUsers` do not gate
     * them: a breached check acts on its own, like a breached limit (contracts/external.ts).
     */
    external: z.optional(ExternalChecksSchema),
    /** What a breach does: `kill` (everyone to legacy) or `pause` (stop advancing stages). @default "kill" */
    action: z._default(z.enum(["kill", "pause"]), "kill"),
  })
  .check(warnBelowLimits);

export type GuardConfig = z.infer<typeof GuardSchema>;

/**
 * Limits on a share of requests: one client can push a share on its own, so a breach needs errors
 * from `minUsers` distinct users (and `minClientIps` addresses when set).
 */
export const ERROR_RATE_LIMITS: readonly LimitName[] = ["maxErrorRate", "maxErrorRateDelta", "maxErrorRateRatio"];
/** @deprecated the earlier name of ERROR_RATE_LIMITS ("ratio" as in a share of requests). */
export const RATIO_LIMITS = ERROR_RATE_LIMITS;

/** Limits that compare new with legacy: they need `minRequests` on legacy too, else they are skipped. */
export const COMPARING_LIMITS: readonly LimitName[] = ["maxErrorRateDelta", "maxErrorRateRatio", "maxP50DeltaMs", "maxP95DeltaMs", "maxP95Ratio", "maxP99Ratio"];

/** Every limit a verdict may name: the health limits and the shadow mismatch rate. */
export type GuardLimitName = LimitName | "maxMismatchRate";

/** Whether `limit` is one of the {@link ERROR_RATE_LIMITS}. */
export function isErrorRateLimit(limit: GuardLimitName): boolean {
  return (ERROR_RATE_LIMITS as readonly string[]).includes(limit);
}

/** One limit that was exceeded. */
export interface Breach {
  limit: GuardLimitName;
  threshold: number;
  /** The new variant's measured value (for deltas: new minus legacy; for ratios: new ÷ legacy). */
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
  /** Error-rate limits exceeded by errors from too few distinct users (or addresses): not breaches. */
  unconfirmed: GuardLimitName[];
  /**
   * `warn` limits exceeded (their sentences name `warn.<limit>`): they notify and never act. Judged
   * only with enough data, like the limits themselves.
   */
  warnings: Breach[];
  /** The shadow comparisons in the window, when the guard sets `maxMismatchRate`. */
  shadow?: ShadowTotals;
  /**
   * What the guard's external checks say (absent without any): a breached check makes the whole
   * verdict a breach, whatever the traffic; one not passing yet makes it inconclusive.
   */
  external?: ExternalVerdictView;
}
