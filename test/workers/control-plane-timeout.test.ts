/**
 * The control plane hanging mid-refresh: a config source whose read never answers. Requests go on
 * being served from the last snapshot (fail static) after at most the cache's timeout; the hung
 * refresh is abandoned; the next refresh that succeeds brings the new config, and a late answer
 * from the abandoned one does not roll it back.
 */
import { describe, expect, it } from "vitest";
import type { ConfigSource, SnapshotReply } from "../../contracts/config-source";
import { handleProxy, type ProxyDeps } from "../../edge/handler";
import { adminJson, resetDefault } from "./helpers";
import { FRESHNESS_MS, proxyDeps, readFromDurableObject, userRequest } from "./proxy-deps";

/** The snapshot cache gives up on a refresh after this long (real time). */
const TIMEOUT_MS = 300;
/** After a failed refresh, requests do not wait for another one for this long (simulated time). */
const RETRY_AFTER_MS = 1000;
/** Timers fire a little late; a request that waits for the timeout may wait this much longer. */
const TIMER_SLACK_MS = 60;

/** Answers from the real Durable Object, except the reads told to hang, which answer only when released. */
class HangingSource implements ConfigSource {
  calls = 0;
  /** How many of the next reads hang. */
  hangNext = 0;
  /** How long the next reads take before answering (real ms), for the ones that do answer. */
  delayMs = 0;
  private readonly hung: Array<(reply: SnapshotReply) => void> = [];

  async read(knownVersion: number): Promise<SnapshotReply> {
    this.calls++;
    if (this.hangNext > 0) {
      this.hangNext--;
      return new Promise((resolve) => this.hung.push(resolve));
    }
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return readFromDurableObject(knownVersion);
  }

  /** Lets every hung read answer now, with `reply`. */
  release(reply: SnapshotReply): void {
    for (const resolve of this.hung.splice(0)) resolve(reply);
  }
}

/** Proxies one request for `user`: where it went, how long it waited before it was forwarded (real ms). */
async function timed(d: ProxyDeps, user: string): Promise<{ status: number; origin: string; waitedMs: number }> {
  const started = Date.now();
  let forwardedAt = Number.NaN;
  const res = await handleProxy(userRequest(user), {
    ...d,
    fetcher: (input, init) => {
      forwardedAt = Date.now();
      return fetch(input, init);
    },
  });
  const { origin } = await res.json<{ origin: string }>();
  return { status: res.status, origin, waitedMs: forwardedAt - started };
}

describe("control plane timing out mid-refresh", () => {
  it("never makes a request wait while a refresh hangs and the snapshot is within the hard bound", async () => {
    await resetDefault({ percent: 100 });
    const source = new HangingSource();
    const { d } = proxyDeps(source, {}, { timeoutMs: TIMEOUT_MS, retryAfterMs: RETRY_AFTER_MS });
    expect((await timed(d, "warm")).origin).toBe("new");
    source.hangNext = 1;
    // Past the freshness window, inside the hard bound: the refresh starts and hangs, in the background.
    d.clock = (
      (base) => () =>
        base + FRESHNESS_MS + 1
    )(d.clock());
    const served = await Promise.all(["a", "b", "c"].map((user) => timed(d, user)));
    for (const r of served) {
      expect(r).toMatchObject({ status: 200, origin: "new" });
      expect(r.waitedMs).toBeLessThan(TIMEOUT_MS / 3);
    }
    expect(source.calls).toBe(2);
  });

  it("serves the last snapshot within the timeout, abandons the hung refresh, then uses the next good one", async () => {
    await resetDefault({ percent: 100 });
    const source = new HangingSource();
    const errors: string[] = [];
    const { d, logs, advance } = proxyDeps(source, {}, { timeoutMs: TIMEOUT_MS, retryAfterMs: RETRY_AFTER_MS, onError: (e) => errors.push(e) });
    expect((await timed(d, "first")).origin).toBe("new");
    const old = await readFromDurableObject(-1);

    // The config changes (everyone back to legacy), and the next refresh hangs.
    const changed = await adminJson("PATCH", "/rollouts/default", { percent: 0 });
    expect(changed.status).toBe(200);
    source.hangNext = 1;
    // Past the hard bound: requests must wait for a refresh (and that one hangs).
    advance(d.cache.maxStalenessMs + 1);
    const during = await Promise.all(["a", "b", "c", "d", "e"].map((user) => timed(d, user)));
    for (const r of during) {
      // New: the last snapshot's answer (with no snapshot at all, everyone would go to legacy).
      expect(r).toMatchObject({ status: 200, origin: "new" });
      expect(r.waitedMs).toBeLessThanOrEqual(TIMEOUT_MS + TIMER_SLACK_MS);
    }
    // They waited for the refresh (it did hang), all on the same one, which was given up.
    expect(Math.max(...during.map((r) => r.waitedMs))).toBeGreaterThanOrEqual(TIMEOUT_MS - TIMER_SLACK_MS);
    expect(source.calls).toBe(2);
    expect(errors).toEqual([`control plane did not answer within ${TIMEOUT_MS} ms`]);
    expect(logs.filter((l) => l.event === "proxy").slice(-5)).toEqual(Array(5).fill(expect.objectContaining({ stale: true, variant: "new" })));

    // Until retryAfterMs has passed, requests do not wait on the dead control plane at all.
    advance(RETRY_AFTER_MS / 2);
    const meanwhile = await timed(d, "f");
    expect(meanwhile).toMatchObject({ status: 200, origin: "new" });
    expect(meanwhile.waitedMs).toBeLessThan(TIMEOUT_MS / 2);
    expect(source.calls).toBe(2);

    // Then a refresh succeeds, and the new config governs.
    advance(RETRY_AFTER_MS);
    expect((await timed(d, "g")).origin).toBe("legacy");
    expect(source.calls).toBe(3);
    expect(d.cache.version).toBe(changed.body.version);

    // The abandoned read answers at last, with the old config: it is ignored.
    source.release(old);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(d.cache.version).toBe(changed.body.version);
    expect((await timed(d, "h")).origin).toBe("legacy");
  });

  // KNOWN BUG (reported, edge/snapshot-cache.ts is not this branch's to change): each of read()'s
  // two rounds is bounded by the timeout, not the request's total wait, so this request waits
  // about 250 + 300 ms. `it.fails` keeps the suite green and turns red once the bug is fixed:
  // then make it `it`.
  it("never keeps a request waiting longer than the timeout, even when the refresh it joined succeeds too late to count", async () => {
    await resetDefault({ percent: 0 });
    const source = new HangingSource();
    const { d, advance } = proxyDeps(source, {}, { timeoutMs: TIMEOUT_MS, retryAfterMs: RETRY_AFTER_MS });
    await timed(d, "first");
    // A slow refresh (it answers after 250 ms, within the timeout) starts; a request that starts
    // more than a freshness window later, but within the timeout, joins it. It succeeds, but too
    // early to make that request's snapshot fresh, and the refresh after it hangs.
    source.delayMs = 250;
    advance(FRESHNESS_MS + 1);
    const slow = timed(d, "starts-the-slow-refresh");
    advance(FRESHNESS_MS + 20);
    source.hangNext = 1;
    const joined = await timed(d, "joins-it");
    await slow;
    expect(joined).toMatchObject({ status: 200, origin: "legacy" });
    expect(joined.waitedMs).toBeLessThanOrEqual(TIMEOUT_MS + TIMER_SLACK_MS);
  });
});
