/**
 * What one isolate spends on shadow traffic at most: per rollout, `maxConcurrent` mirrors in
 * flight (a ShadowBudget each); over all rollouts, SHADOW_MEMORY_BYTES of response bodies held
 * for comparison. Past either, a request is simply not mirrored: the comparison is a sample, and
 * the user's response must never pay for it (an isolate has 128 MB in all).
 */
import { SHADOW_BODY_CAP_BYTES } from "../../contracts/shadow";
import { PerKeyCounts } from "../per-key-counts";
import { ShadowBudget } from "./budget";

/**
 * Bytes of response bodies an isolate keeps for comparison at most, over every mirror in flight
 * (each keeps up to its cap of legacy's body and of new's).
 */
export const SHADOW_MEMORY_BYTES = 32 * 1024 * 1024;

/**
 * The bytes of each body a mirror keeps: SHADOW_BODY_CAP_BYTES, or less when `maxConcurrent`
 * mirrors of both bodies at that cap would exceed SHADOW_MEMORY_BYTES (past its cap a body is
 * compared by length and the hash of its first bytes, contracts/shadow.ts).
 *
 * @example mirrorCapBytes(10) // 1,048,576 (the full cap); mirrorCapBytes(1000) // 16,777
 */
export function mirrorCapBytes(maxConcurrent: number): number {
  return Math.min(SHADOW_BODY_CAP_BYTES, Math.floor(SHADOW_MEMORY_BYTES / (2 * Math.max(1, maxConcurrent))));
}

/**
 * Mirrors one identity may start per rollout in one second, in one isolate. Beyond, its requests
 * are served as always but not compared: the mismatch rate (and `maxMismatchRate`) stays a
 * measure of many users' requests, not of one client repeating a request new answers differently.
 * A client that rotates claimed ids gets past it, as past the health guards' per-identity cap:
 * verified identities (README, "Stickiness") close that.
 */
export const MIRRORS_PER_IDENTITY_PER_SECOND = 2;
/** Identities tracked per second at most; past it, an identity is not capped (maxConcurrent still holds). */
export const MAX_TRACKED_MIRROR_IDENTITIES = 10_000;

/** What the isolate reports about its mirrors (GET /__admin/api/stats). */
export interface ShadowLimitStats {
  /** Mirrors started. */
  mirrors: number;
  /** Requests in the sample that were not mirrored: the rollout's maxConcurrent or the isolate's memory was taken. */
  skipped: number;
  /** Requests in the sample not mirrored because their identity had its MIRRORS_PER_IDENTITY_PER_SECOND. */
  identityCapped: number;
}

/** The isolate's mirror slots: one budget per rollout, one memory budget for all. */
export class ShadowLimits {
  readonly #budgets = new Map<string, ShadowBudget>();
  readonly #maxima = new Map<string, number>();
  #bytes = 0;
  #second = { startedAt: Number.NEGATIVE_INFINITY, counts: new PerKeyCounts(MAX_TRACKED_MIRROR_IDENTITIES) };
  readonly stats: ShadowLimitStats = { mirrors: 0, skipped: 0, identityCapped: 0 };

  constructor(
    private readonly memoryBytes = SHADOW_MEMORY_BYTES,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Whether `identity` may have one more mirror of `rolloutId` this second (each request counts).
   * Checked before a slot is taken, so a capped client holds none.
   */
  admitIdentity(rolloutId: string, identity: string): boolean {
    const now = this.clock();
    if (now - this.#second.startedAt >= 1000) this.#second = { startedAt: now, counts: new PerKeyCounts(MAX_TRACKED_MIRROR_IDENTITIES) };
    const before = this.#second.counts.seen(`${rolloutId}\n${identity}`);
    if (before === undefined || before < MIRRORS_PER_IDENTITY_PER_SECOND) return true;
    this.stats.identityCapped++;
    return false;
  }

  /**
   * Takes a slot for one mirror of `rolloutId` holding up to `capBytes` of each body; returns the
   * function that gives it back (once; later calls do nothing), or `undefined`: do not mirror.
   */
  tryAcquire(rolloutId: string, maxConcurrent: number, capBytes: number): (() => void) | undefined {
    const reserve = 2 * capBytes;
    const budget = this.#budgetOf(rolloutId, maxConcurrent);
    if (this.#bytes + reserve > this.memoryBytes || !budget.tryAcquire()) {
      this.stats.skipped++;
      return undefined;
    }
    this.#bytes += reserve;
    this.stats.mirrors++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#bytes -= reserve;
      budget.release();
    };
  }

  /** Mirrors in flight for `rolloutId` now. */
  inFlight(rolloutId: string): number {
    return this.#budgets.get(rolloutId)?.inFlight ?? 0;
  }

  /** Body bytes reserved by the mirrors in flight. */
  get reservedBytes(): number {
    return this.#bytes;
  }

  // A new maximum (a config change) starts a new budget; mirrors in flight give back to the old
  // one, so for a moment both count, while the memory budget still holds for all.
  #budgetOf(rolloutId: string, max: number): ShadowBudget {
    let budget = this.#budgets.get(rolloutId);
    if (!budget || this.#maxima.get(rolloutId) !== max) {
      budget = new ShadowBudget(max);
      this.#budgets.set(rolloutId, budget);
      this.#maxima.set(rolloutId, max);
    }
    return budget;
  }
}
