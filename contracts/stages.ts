/**
 * A rollout's stages: an ordered plan of percentages with hold times (10 → 25 → 50 → 75 → 100).
 * The schema is the contract; control/policy/stages.ts plans the moves.
 */
import { Percent } from "./percent";
import * as z from "./zod";

/** Longest hold: 30 days. */
export const MAX_HOLD_SECONDS = 30 * 24 * 3600;

export const StageSchema = z.strictObject({
  percent: Percent,
  /** How long to stay at this stage (with a healthy guard) before moving on. */
  holdSeconds: z.number().check(z.int("must be a whole number of seconds"), z.gte(0), z.lte(MAX_HOLD_SECONDS, "must be at most 30 days")),
  /**
   * The scheduler enters this stage only after an operator approves it (`POST …/approve`), however
   * healthy the stage before it is: a go/no-go decision point. Absent = no approval needed.
   */
  requiresApproval: z.optional(z.boolean()),
  /**
   * The scheduler enters this stage only once the shadow comparisons over the hold before it show
   * a mismatch rate at most the guard's `maxMismatchRate`, on at least the guard's `minRequests`
   * comparisons: new must answer like legacy before more users see it. Needs `shadow` and
   * `guard.maxMismatchRate`. Absent = no such check.
   */
  requireShadowMatch: z.optional(z.boolean()),
  /**
   * The scheduler enters this stage only once every probe of the rollout (its `probes`) passed
   * each of its last `failureThreshold` runs: health checks before traffic. Needs probes.
   */
  requireProbes: z.optional(z.boolean()),
});

/**
 * @example [{ "percent": 10, "holdSeconds": 600 }, { "percent": 25, "holdSeconds": 600 }, { "percent": 50, "holdSeconds": 1800, "requiresApproval": true }, { "percent": 100, "holdSeconds": 0 }]
 */
export const StagesSchema = z.array(StageSchema).check(
  z.minLength(1, "needs at least one stage"),
  z.maxLength(20, "at most 20 stages"),
  z.refine((stages) => stages.every((s, i) => i === 0 || s.percent > stages[i - 1]!.percent), "percentages must increase from stage to stage"),
);

export type Stage = z.infer<typeof StageSchema>;
