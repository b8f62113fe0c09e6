/**
 * The isolate's config snapshot and the freshness contract: stale-while-revalidate with a hard
 * bound. The hot path never waits on the control plane while its snapshot is younger than that
 * bound.
 *
 * - A snapshot's age counts from the start of the refresh that fetched it (the read tier's own
 *   lag behind the primary, which its replies report as `asOf`, is the tier's to bound: see
 *   edge/config-source.ts and docs/scale.md).
 * - age ≤ freshnessMs: served as is.
 * - freshnessMs < age ≤ maxStalenessMs: served as is, and one refresh starts in the background.
 * - age > maxStalenessMs (an idle isolate, or a control plane slower than the bound): the request
 *   waits for a refresh, up to one deadline (`timeoutMs` after the request started), then fails
 *   static (serves the last snapshot, marked stale, and logs it).
 * So a change the primary acknowledged at t governs every request that starts after
 * t + maxStalenessMs + the read tier's lag behind the primary (docs/scale.md states and measures it).
 * - One refresh in flight per isolate; concurrent requests share it.
 * - Fail static: after a failed refresh, the last snapshot keeps serving without waiting for
 *   `retryAfterMs`, so an outage does not make every request wait on a dead control plane. With
 *   no snapshot at all the caller routes to legacy (fail safe).
 */
import type { ConfigSource, SnapshotReply } from "../contracts/config-source";
import { DEFAULT_MAX_STALENESS_MS, type VarProblem } from "../contracts/vars";
import { compileSnapshot, type RouterTable } from "./match";

export type CacheRead = { kind: "table"; table: RouterTable; stale: boolean } | { kind: "unconfigured"; problems: VarProblem[] } | { kind: "unavailable"; error: string };

/** Timers, passed in so that a simulation can run the cache in virtual time. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: Timers = { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>) };

export interface SnapshotCacheOptions {
  /** Refresh in the background once the snapshot is older than this. */
  freshnessMs: number;
  /** Past this age a request waits for a refresh (the hard bound). @default max(freshnessMs, 600) */
  maxStalenessMs?: number;
  /** Longest a request waits for the control plane, from its start; then fail static. @default 2000 */
  timeoutMs?: number;
  /** After a failed refresh, serve the stale snapshot without waiting for this long. @default 1000 */
  retryAfterMs?: number;
  /** Called once per failed refresh (for the log). */
  onError?: (error: string, servingVersion: number | null) => void;
  timers?: Timers;
}

export interface CacheStats {
  refreshes: number;
  failures: number;
  /** Requests that waited on the control plane (no snapshot yet, or older than the hard bound). */
  waits: number;
  /** Requests served from a snapshot the control plane could not refresh. */
  staleServed: number;
  /** How far behind the primary the read tier's last answer was (ms; 0 for the primary itself). */
  lastTierLagMs: number;
}

export class SnapshotCache {
  private table: RouterTable | undefined;
  private problems: VarProblem[] | undefined;
  /** When the refresh behind the state held started (ms). */
  private asOf = Number.NEGATIVE_INFINITY;
  private retryNotBefore = Number.NEGATIVE_INFINITY;
  private inflight: { promise: Promise<void>; startedAt: number } | undefined;
  private lastError: string | undefined;
  private readonly timers: Timers;
  readonly stats: CacheStats = { refreshes: 0, failures: 0, waits: 0, staleServed: 0, lastTierLagMs: 0 };

  constructor(
    private readonly source: ConfigSource,
    private readonly options: SnapshotCacheOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.timers = options.timers ?? REAL_TIMERS;
  }

  /** The version of the snapshot held, if any. */
  get version(): number | null {
    return this.table?.version ?? null;
  }

  get freshnessMs(): number {
    return this.options.freshnessMs;
  }

  get maxStalenessMs(): number {
    return Math.max(this.options.freshnessMs, this.options.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS);
  }

  /** When the refresh behind the state held started (ms since the epoch), or -Infinity. */
  get currentAsOf(): number {
    return this.asOf;
  }

  /** Forget freshness so the next read waits for a refresh (read-your-writes after a write in this isolate). */
  invalidate(): void {
    this.asOf = Number.NEGATIVE_INFINITY;
    this.retryNotBefore = Number.NEGATIVE_INFINITY;
  }

  private held(): boolean {
    return this.table !== undefined || this.problems !== undefined;
  }

  /**
   * The config governing a request that started at `now` (ms). `waitUntil` keeps a refresh alive
   * after the request that started it has gone.
   */
  read(now: number, waitUntil?: (promise: Promise<unknown>) => void): CacheRead | Promise<CacheRead> {
    const age = now - this.asOf;
    const backingOff = this.clock() < this.retryNotBefore;
    if (!this.held() || (age > this.maxStalenessMs && !backingOff)) {
      this.stats.waits++;
      return this.waitForRefresh(now, waitUntil).then(() => this.answer(now));
    }
    if (age > this.options.freshnessMs && !backingOff) this.refresh(waitUntil); // stale-while-revalidate: this request does not wait
    // Not a promise when nothing waits: the hot path allocates none.
    return this.answer(now);
  }

  private answer(now: number): CacheRead {
    if (this.table) {
      const stale = now - this.asOf > this.maxStalenessMs;
      if (stale) this.stats.staleServed++;
      return { kind: "table", table: this.table, stale };
    }
    if (this.problems) return { kind: "unconfigured", problems: this.problems };
    return { kind: "unavailable", error: this.lastError ?? "control plane not reached yet" };
  }

  /** Waits for a refresh that makes the state current enough for `now`, until one deadline. */
  private async waitForRefresh(now: number, waitUntil?: (promise: Promise<unknown>) => void): Promise<void> {
    const deadline = now + (this.options.timeoutMs ?? 2000);
    // At most two rounds: a shared refresh that started too early for this request does not
    // count, so a second one starts. Both share the one deadline.
    for (let round = 0; round < 2; round++) {
      const left = deadline - this.clock();
      if (left <= 0) return;
      await this.withTimeout(this.refresh(waitUntil), left).catch(() => undefined);
      if (this.held() && now - this.asOf <= this.maxStalenessMs) return;
      if (this.clock() < this.retryNotBefore) return;
    }
  }

  /** The refresh in flight, or a new one (past its timeout, a hung refresh is abandoned). */
  private refresh(waitUntil?: (promise: Promise<unknown>) => void): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 2000;
    const now = this.clock();
    if (!this.inflight || now - this.inflight.startedAt > timeoutMs) {
      const inflight = {
        startedAt: now,
        promise: this.doRefresh(now, timeoutMs).finally(() => {
          if (this.inflight === inflight) this.inflight = undefined;
        }),
      };
      this.inflight = inflight;
      waitUntil?.(inflight.promise);
    }
    return this.inflight.promise;
  }

  private async doRefresh(startedAt: number, timeoutMs: number): Promise<void> {
    this.stats.refreshes++;
    const known = this.table?.version ?? -1;
    try {
      const reply = await this.withTimeout(this.source.read(known), timeoutMs);
      this.apply(reply, startedAt);
      this.lastError = undefined;
    } catch (error) {
      this.stats.failures++;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.retryNotBefore = this.clock() + (this.options.retryAfterMs ?? 1000);
      this.options.onError?.(this.lastError, this.table?.version ?? null);
    }
  }

  /** Takes a reply, unless it is older than what is held (a late answer never rolls back). */
  private apply(reply: SnapshotReply, startedAt: number): void {
    this.stats.lastTierLagMs = Math.max(0, startedAt - (reply.asOf ?? startedAt));
    if (reply.status === "snapshot") {
      if (this.table && reply.snapshot.version < this.table.version) return;
      if (!this.table || reply.snapshot.version !== this.table.version) this.table = compileSnapshot(reply.snapshot);
      this.problems = undefined;
    } else if (reply.status === "unconfigured") {
      this.table = undefined;
      this.problems = reply.problems;
    } else if (this.table && reply.version !== this.table.version) {
      return; // "unchanged" for another version than the one held: nothing learned
    }
    this.asOf = Math.max(this.asOf, startedAt);
  }

  private withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    let timer: unknown;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.timers.setTimeout(() => reject(new Error(`control plane did not answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => this.timers.clearTimeout(timer));
  }
}
