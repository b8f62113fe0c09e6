import { describe, expect, it } from "vitest";
import type { SnapshotReply } from "../../contracts/config-source";
import type { ConfigSource } from "../../contracts/config-source";
import { RolloutConfigSchema, type ConfigSnapshot } from "../../contracts/rollout";
import { SnapshotCache } from "../../edge/snapshot-cache";

/** A control plane whose version, answers and failures the test controls. */
class FakeSource implements ConfigSource {
  version = 1;
  calls = 0;
  fail = false;
  pending: Array<() => void> = [];
  manual = false;

  snapshot(): ConfigSnapshot {
    const config = RolloutConfigSchema.parse({ id: "r", origins: { legacy: "https://l.example", new: "https://n.example" }, percent: this.version });
    return {
      version: this.version,
      globalKill: { killed: false, reason: null, at: null, by: null },
      rollouts: [{ config, version: this.version, updatedAt: "", updatedBy: "", killReason: null }],
    };
  }

  async read(knownVersion: number): Promise<SnapshotReply> {
    this.calls++;
    if (this.manual) await new Promise<void>((resolve) => this.pending.push(resolve));
    if (this.fail) throw new Error("Durable Object unreachable");
    return knownVersion === this.version ? { status: "unchanged", version: knownVersion } : { status: "snapshot", snapshot: this.snapshot() };
  }
}

function setup(freshnessMs = 250) {
  const source = new FakeSource();
  let now = 1_000_000;
  const errors: string[] = [];
  const cache = new SnapshotCache(source, { freshnessMs, retryAfterMs: 1000, onError: (e) => errors.push(e) }, () => now);
  return { source, cache, errors, advance: (ms: number) => (now += ms), now: () => now };
}

describe("config snapshot cache", () => {
  it("reads the control plane once per freshness window, however many requests come", async () => {
    const { source, cache, advance, now } = setup();
    for (let i = 0; i < 100; i++) {
      await cache.read(now());
      advance(10); // 100 requests over 1 s
    }
    // 1,000 ms / 250 ms window → about 4 refreshes, not 100.
    expect(source.calls).toBeGreaterThanOrEqual(4);
    expect(source.calls).toBeLessThanOrEqual(5);
  });

  it("shares one refresh among concurrent requests", async () => {
    const { source, cache, now } = setup();
    source.manual = true;
    const reads = Array.from({ length: 50 }, () => cache.read(now()));
    await Promise.resolve();
    expect(source.calls).toBe(1);
    for (const resolve of source.pending.splice(0)) resolve();
    const results = await Promise.all(reads);
    expect(results.every((r) => r.kind === "table" && r.table.version === 1)).toBe(true);
    expect(source.calls).toBe(1);
  });

  it("lets a change govern every request that starts more than the hard bound after it, even in an idle isolate", async () => {
    const { source, cache, advance, now } = setup();
    await cache.read(now());
    source.version = 2; // the change is acknowledged now
    const ackAt = now();
    advance(cache.maxStalenessMs + 1);
    const read = await cache.read(now());
    expect(now() - ackAt).toBeGreaterThan(cache.maxStalenessMs);
    expect(read.kind === "table" && read.table.version).toBe(2);
  });

  it("serves a request past the freshness window without waiting, and refreshes in the background", async () => {
    const { source, cache, advance, now } = setup();
    await cache.read(now());
    source.version = 2;
    source.manual = true; // the control plane answers only when the test says so
    advance(300); // past freshness (250), within the hard bound (600)
    const served = await cache.read(now()); // resolves although the refresh has not answered
    expect(served.kind === "table" && served.table.version).toBe(1);
    expect(source.calls).toBe(2);
    expect(cache.stats.waits).toBe(1); // only the very first read waited
    for (const resolve of source.pending.splice(0)) resolve();
    await new Promise((r) => setTimeout(r, 0));
    advance(10);
    const next = await cache.read(now());
    expect(next.kind === "table" && next.table.version).toBe(2);
  });

  it("keeps serving the last snapshot when the control plane fails, and logs it", async () => {
    const { source, cache, advance, now, errors } = setup();
    await cache.read(now());
    source.fail = true;
    advance(cache.maxStalenessMs + 50);
    const read = await cache.read(now());
    expect(read).toMatchObject({ kind: "table", stale: true });
    expect(read.kind === "table" && read.table.version).toBe(1);
    expect(errors).toEqual(["Durable Object unreachable"]);
  });

  it("does not make every request wait on a dead control plane: retries after a pause", async () => {
    const { source, cache, advance, now } = setup();
    await cache.read(now());
    source.fail = true;
    advance(cache.maxStalenessMs + 50);
    await cache.read(now());
    const callsAfterFailure = source.calls;
    for (let i = 0; i < 50; i++) {
      advance(10);
      await cache.read(now());
    }
    expect(source.calls).toBe(callsAfterFailure); // 500 ms < retryAfterMs
    advance(600);
    source.fail = false;
    source.version = 3;
    const read = await cache.read(now());
    expect(read.kind === "table" && read.table.version).toBe(3);
  });

  it("reports unavailable (route to legacy) when it never reached the control plane", async () => {
    const { source, cache, now } = setup();
    source.fail = true;
    expect(await cache.read(now())).toMatchObject({ kind: "unavailable", error: "Durable Object unreachable" });
  });

  it("refreshes at once after invalidate()", async () => {
    const { source, cache, now } = setup();
    await cache.read(now());
    source.version = 2;
    cache.invalidate();
    const read = await cache.read(now());
    expect(read.kind === "table" && read.table.version).toBe(2);
  });

  it("asks for changes only: an unchanged version is not resent", async () => {
    const { source, cache, advance, now } = setup();
    const first = await cache.read(now());
    advance(300);
    const second = await cache.read(now());
    expect(first.kind === "table" && second.kind === "table" && first.table === second.table).toBe(true);
    expect(source.calls).toBe(2);
  });
});
