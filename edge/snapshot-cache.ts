/**
 * The isolate's config snapshot and the freshness contract.
 *
 * - A snapshot is fresh for `freshnessMs` after the refresh that produced it *started*; a request
 *   that starts later waits for a refresh. So a change acknowledged by the control plane at time t
 *   governs every request that starts after t + freshnessMs (+ the refresh's round trip for the
 *   requests that wait on it).
 * - Concurrent requests share one refresh in flight.
 * - Fail static: if a refresh fails, the last snapshot keeps serving, and new attempts wait
 *   `retryAfterMs` so an outage does not make every request wait on a dead control plane.
 *   With no snapshot at all the caller routes to legacy (fail safe).
 */
import type { VarProblem } from "../contracts/vars";
import { compileSnapshot, type RouterTable } from "./match";
import type { ConfigSource } from "../contracts/config-source";

export type CacheRead = { kind: "table"; table: RouterTable; stale: boolean } | { kind: "unconfigured"; problems: VarProblem[] } | { kind: "unavailable"; error: string };

export interface SnapshotCacheOptions {
  freshnessMs: number;
  /** Give up on a refresh after this long (then fail static). @default 2000 */
  timeoutMs?: number;
  /** After a failed refresh, serve the stale snapshot without waiting for this long. @default 1000 */
  retryAfterMs?: number;
  /** Called once per failed refresh (for the log). */
  onError?: (error: string, servingVersion: number | null) => void;
}

export interface CacheStats {
  refreshes: number;
  failures: number;
}

export class SnapshotCache {
  private table: RouterTable | undefined;
  private problems: VarProblem[] | undefined;
  /** When the refresh behind the current state started (ms). */
  private asOf = -Infinity;
  private retryNotBefore = -Infinity;
  private inflight: { promise: Promise<void>; startedAt: number } | undefined;
  private lastError: string | undefined;
  readonly stats: CacheStats = { refreshes: 0, failures: 0 };

  constructor(
    private readonly source: ConfigSource,
    private options: SnapshotCacheOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The version of the snapshot held, if any. */
  get version(): number | null {
    return this.table?.version ?? null;
  }

  get freshnessMs(): number {
    return this.options.freshnessMs;
  }

  setFreshness(freshnessMs: number): void {
    this.options = { ...this.options, freshnessMs };
  }

  /** Forget freshness so the next read refreshes (used after a write in this isolate). */
  invalidate(): void {
    this.asOf = -Infinity;
    this.retryNotBefore = -Infinity;
  }

  private isFresh(now: number): boolean {
    return (this.table !== undefined || this.problems !== undefined) && now - this.asOf <= this.options.freshnessMs;
  }

  /**
   * The config governing a request that started at `now` (ms). `waitUntil` keeps the refresh alive
   * if the request that started it goes away, so the requests sharing it are never stranded.
   */
  async read(now: number, waitUntil?: (promise: Promise<unknown>) => void): Promise<CacheRead> {
    // At most two rounds: a shared refresh that started before this request's freshness horizon
    // does not count, so a second one is started.
    for (let round = 0; round < 2 && !this.isFresh(now) && this.clock() >= this.retryNotBefore; round++) {
      await this.refresh(waitUntil);
    }
    if (this.table) return { kind: "table", table: this.table, stale: !this.isFresh(now) };
    if (this.problems) return { kind: "unconfigured", problems: this.problems };
    return { kind: "unavailable", error: this.lastError ?? "control plane not reached yet" };
  }

  private refresh(waitUntil?: (promise: Promise<unknown>) => void): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 2000;
    const now = this.clock();
    // A refresh whose request was torn down never settles; past its timeout it is abandoned.
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
    // Each waiter bounds its own wait, in its own request context.
    return withTimeout(this.inflight.promise, timeoutMs).catch(() => undefined);
  }

  private async doRefresh(startedAt: number, timeoutMs: number): Promise<void> {
    this.stats.refreshes++;
    try {
      const reply = await withTimeout(this.source.read(this.table?.version ?? -1), timeoutMs);
      if (reply.status === "snapshot") {
        this.table = compileSnapshot(reply.snapshot);
        this.problems = undefined;
      } else if (reply.status === "unconfigured") {
        this.table = undefined;
        this.problems = reply.problems;
      }
      this.asOf = Math.max(this.asOf, startedAt);
      this.lastError = undefined;
    } catch (error) {
      this.stats.failures++;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.retryNotBefore = this.clock() + (this.options.retryAfterMs ?? 1000);
      this.options.onError?.(this.lastError, this.table?.version ?? null);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`control plane did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
