/**
 * Which legacy users are mirrored: a sticky sample over the shadow salt (see `shadowSalt` in
 * contracts/shadow.ts). Pure; compile once per config version, then one hash per request.
 */
import { bucketFrom, saltState, thresholdOf, type HashState } from "../../contracts/hash";
import { shadowSalt } from "../../contracts/shadow";

/** A rollout's shadow sample, ready for the hot path. */
export interface ShadowSample {
  /** Hash state after `shadowSalt(salt) + ":"`. */
  state: HashState;
  /** Buckets mirrored: `round(percent × 100)`; 0 mirrors nobody. */
  threshold: number;
}

/**
 * Precomputes the sample of a rollout (its effective salt, which defaults to its id).
 *
 * @example const sample = compileShadowSample("checkout-v2", 5) // 5% of legacy users
 */
export function compileShadowSample(salt: string, percent: number): ShadowSample {
  return { state: saltState(shadowSalt(salt)), threshold: thresholdOf(percent) };
}

/**
 * Whether `userId` is in the shadow sample. The caller mirrors only when this holds *and* the
 * user was sent to legacy (a user served by new has nothing to compare against).
 */
export function isShadowed(state: HashState, threshold: number, userId: string): boolean {
  return threshold > 0 && bucketFrom(state, userId) < threshold;
}
