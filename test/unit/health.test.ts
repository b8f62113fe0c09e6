import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyHistogram, merge, quantile, record, revive } from "../../contracts/histogram";
import { addFlush, prune, RETENTION_MS, series, SLOT_MS, summarize, type HealthWindows } from "../../control/policy/health-windows";
import { MAX_TRACKED_IDENTITIES, newAccumulator, PER_USER_REQUESTS_PER_FLUSH, recordOutcome, takeFlush } from "../../edge/health-batcher";

/** Seeded PRNG so that a failure replays. */
function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe("latency histogram", () => {
  const random = rng(42);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const distributions: Record<string, () => number> = {
    uniform: () => 1 + random() * 999,
    "log-normal": () => Math.exp(3 + 0.8 * normal()),
    bimodal: () => (random() < 0.8 ? 20 + 5 * random() : 400 + 100 * random()),
    "heavy tail": () => 5 / (1 - random()) ** 0.7,
  };

  it.each(Object.keys(distributions))("gives p50, p95, p99 within 5%% of exact on %s data", (name) => {
    const values = Array.from({ length: 20_000 }, distributions[name]!);
    const h = emptyHistogram();
    for (const v of values) record(h, v);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = exactQuantile(values, q);
      expect(Math.abs(quantile(h, q)! - exact) / exact, `q=${q}`).toBeLessThan(0.05);
    }
  });

  it("merges into exactly the histogram of the combined data, in any order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 1e6, noNaN: true }), { maxLength: 200 }),
        fc.array(fc.double({ min: 0.01, max: 1e6, noNaN: true }), { maxLength: 200 }),
        fc.array(fc.double({ min: 0.01, max: 1e6, noNaN: true }), { maxLength: 200 }),
        (a, b, c) => {
          const h = (xs: number[]) => xs.reduce((acc, x) => record(acc, x), emptyHistogram());
          const left = merge(merge(h(a), h(b)), h(c));
          const right = merge(h(a), merge(h(b), h(c)));
          const all = h([...a, ...b, ...c]);
          for (const q of [0.5, 0.99]) {
            if (quantile(left, q) !== quantile(all, q) || quantile(right, q) !== quantile(all, q)) return false;
          }
          return left.count === all.count && right.count === all.count;
        },
      ),
      { numRuns: 200 },
    );
  });

  it("survives a JSON round trip, empty or not", () => {
    const h = record(record(emptyHistogram(), 12), 80);
    const back = revive(JSON.parse(JSON.stringify(h)));
    expect(quantile(back, 0.99)).toBe(quantile(h, 0.99));
    const empty = revive(JSON.parse(JSON.stringify(emptyHistogram())));
    expect(merge(empty, h).min).toBe(12);
    expect(quantile(empty, 0.5)).toBeNull();
  });
});

describe("isolate accumulator", () => {
  it("counts 5xx and failed connections as errors and 4xx apart", () => {
    const acc = newAccumulator(0);
    for (const status of [200, 204, 404, 429, 500, 503, 0]) recordOutcome(acc, "r", "new", { status, latencyMs: 10, user: null, clientIp: null });
    const v = acc.rollouts.get("r")!.new;
    expect(v).toMatchObject({ requests: 7, errors: 3, clientErrors: 2 });
  });

  it("flushes at most once a second, and only with something to send", () => {
    const acc = newAccumulator(0);
    expect(takeFlush(acc, 5000)).toBeUndefined(); // nothing recorded
    let flushes = 0;
    for (let t = 0; t < 10_000; t += 2) {
      recordOutcome(acc, "r", t % 4 ? "new" : "legacy", { status: 200, latencyMs: 5, user: null, clientIp: null });
      if (takeFlush(acc, t)) flushes++;
    }
    // 5,000 requests over 10 s: at most 10 flushes.
    expect(flushes).toBeLessThanOrEqual(10);
    expect(flushes).toBeGreaterThanOrEqual(9);
  });

  it("hands over everything counted and starts again from zero", () => {
    const acc = newAccumulator(0);
    recordOutcome(acc, "a", "new", { status: 200, latencyMs: 5, user: null, clientIp: null });
    recordOutcome(acc, "b", "legacy", { status: 500, latencyMs: 7, user: null, clientIp: null });
    const flush = takeFlush(acc, 2000)!;
    expect(Object.keys(flush.rollouts).sort()).toEqual(["a", "b"]);
    expect(flush.rollouts.b!.legacy.errors).toBe(1);
    expect(acc.rollouts.size).toBe(0);
  });
});

describe("one identity's weight", () => {
  const ok = (user: string | null, clientIp: string | null = null) => ({ status: 200, latencyMs: 5, user, clientIp });
  const failed = (user: string | null, clientIp: string | null = null) => ({ status: 503, latencyMs: 5, user, clientIp });

  it("counts at most PER_USER_REQUESTS_PER_FLUSH requests of one user per flush, and again after the flush", () => {
    const acc = newAccumulator(0);
    for (let i = 0; i < 650; i++) recordOutcome(acc, "r", "new", failed("attacker"));
    for (let i = 0; i < 40; i++) recordOutcome(acc, "r", "new", ok(`user-${i}`));
    const first = takeFlush(acc, 1000)!.rollouts.r!.new;
    expect(first).toMatchObject({ requests: PER_USER_REQUESTS_PER_FLUSH + 40, errors: PER_USER_REQUESTS_PER_FLUSH });
    expect(first.latency.count).toBe(PER_USER_REQUESTS_PER_FLUSH + 40);
    for (let i = 0; i < 650; i++) recordOutcome(acc, "r", "new", failed("attacker"));
    expect(takeFlush(acc, 2000)!.rollouts.r!.new).toMatchObject({ requests: PER_USER_REQUESTS_PER_FLUSH, errors: PER_USER_REQUESTS_PER_FLUSH });
  });

  it("caps each rollout and variant apart, and leaves requests without an identity uncapped", () => {
    const acc = newAccumulator(0);
    for (let i = 0; i < 50; i++) {
      recordOutcome(acc, "r", "new", ok("u"));
      recordOutcome(acc, "r", "legacy", ok("u"));
      recordOutcome(acc, "s", "new", ok("u"));
      recordOutcome(acc, "t", "new", ok(null));
    }
    const flush = takeFlush(acc, 1000)!.rollouts;
    expect([flush.r!.new.requests, flush.r!.legacy.requests, flush.s!.new.requests, flush.t!.new.requests]).toEqual([
      PER_USER_REQUESTS_PER_FLUSH,
      PER_USER_REQUESTS_PER_FLUSH,
      PER_USER_REQUESTS_PER_FLUSH,
      50,
    ]);
  });

  it("tracks a bounded number of identities per flush, counting the rest without a cap", () => {
    const acc = newAccumulator(0);
    for (let i = 0; i < MAX_TRACKED_IDENTITIES + 500; i++) recordOutcome(acc, "r", "new", ok(`u-${i}`));
    expect(acc.perIdentity.size).toBe(MAX_TRACKED_IDENTITIES);
    for (let i = 0; i < 30; i++) recordOutcome(acc, "r", "new", ok("late-comer"));
    for (let i = 0; i < 30; i++) recordOutcome(acc, "r", "new", ok("u-0"));
    expect(acc.perIdentity.size).toBe(MAX_TRACKED_IDENTITIES);
    // The untracked late-comer counts 30 times; the tracked u-0 stops at the cap.
    expect(acc.rollouts.get("r")!.new.requests).toBe(MAX_TRACKED_IDENTITIES + 500 + 30 + PER_USER_REQUESTS_PER_FLUSH - 1);
    takeFlush(acc, 1000);
    expect(acc.perIdentity.size).toBe(0);
  });

  it("counts distinct users, users who saw errors and addresses that did, however often they came", () => {
    let w: HealthWindows = {};
    const t0 = 1_700_000_000_000;
    for (let second = 0; second < 3; second++) {
      const acc = newAccumulator(t0 + second * 1000 - 1000);
      for (let i = 0; i < 650; i++) recordOutcome(acc, "r", "new", failed("attacker", "203.0.113.9"));
      for (let i = 0; i < 40; i++) recordOutcome(acc, "r", "new", ok(`user-${i}`, `198.51.100.${i}`));
      recordOutcome(acc, "r", "new", failed(null, "192.0.2.1"));
      w = addFlush(w, takeFlush(acc, t0 + second * 1000)!, t0 + second * 1000).windows;
    }
    const s = summarize(w, "r", 30, t0 + 3000).new;
    // Estimates: two of 41 users may share a register (then 40).
    expect(Math.abs(s.users - 41)).toBeLessThanOrEqual(1);
    expect(s).toMatchObject({ errorUsers: 1, errorIps: 2 });
    expect(s.requests).toBe(3 * (PER_USER_REQUESTS_PER_FLUSH + 41));
    expect(series(w, "r", 1, t0 + 3000)[0]!.new).toMatchObject({ users: s.users, errorUsers: 1 });
  });
});

describe("rolling windows in the Durable Object", () => {
  function flushOf(rollout: string, newRequests: number, newErrors: number, legacyRequests: number, latencyMs = 20) {
    const acc = newAccumulator(-10_000);
    for (let i = 0; i < newRequests; i++) recordOutcome(acc, rollout, "new", { status: i < newErrors ? 500 : 200, latencyMs, user: `n${i}`, clientIp: null });
    for (let i = 0; i < legacyRequests; i++) recordOutcome(acc, rollout, "legacy", { status: 200, latencyMs, user: `l${i}`, clientIp: null });
    return takeFlush(acc, 0)!;
  }

  it("adds flushes into 10 s slots aligned to the clock", () => {
    let w: HealthWindows = {};
    const t0 = 1_700_000_000_000;
    w = addFlush(w, flushOf("r", 10, 1, 10), t0 + 1000).windows;
    w = addFlush(w, flushOf("r", 10, 1, 10), t0 + 4000).windows;
    w = addFlush(w, flushOf("r", 10, 0, 10), t0 + SLOT_MS + 1).windows;
    expect(w.r!.map((s) => s.start)).toEqual([t0, t0 + SLOT_MS]);
    expect(w.r![0]!.stats.new.requests).toBe(20);
  });

  it("summarises a window of whole slots, side by side", () => {
    let w: HealthWindows = {};
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 12; i++) w = addFlush(w, flushOf("r", 100, i < 6 ? 0 : 20, 300), t0 + i * SLOT_MS).windows;
    const now = t0 + 11 * SLOT_MS + 5000;
    const last60 = summarize(w, "r", 60, now);
    expect(last60.windowSeconds).toBe(60);
    expect(last60.new.requests).toBe(600);
    expect(last60.new.errorRate).toBeCloseTo(0.2);
    expect(last60.legacy.requests).toBe(1800);
    expect(last60.legacy.errorRate).toBe(0);
    const all = summarize(w, "r", 120, now);
    expect(all.new.errorRate).toBeCloseTo(0.1);
    expect(summarize(w, "other", 60, now).new).toMatchObject({ requests: 0, errorRate: null, p95: null });
  });

  it("counts only slots that start at or after `since`, and says how much it covered", () => {
    const t0 = 1_700_000_000_000;
    let w: HealthWindows = {};
    for (let i = 0; i < 6; i++) w = addFlush(w, flushOf("r", 100, i < 3 ? 50 : 0, 100), t0 + i * SLOT_MS + 1000).windows;
    const now = t0 + 5 * SLOT_MS + 5000;
    expect(summarize(w, "r", 60, now).new.errors).toBe(150);
    // A resume 2 s into the fourth slot: that slot may hold failures from before it, so it is left out.
    const sinceResume = summarize(w, "r", 60, now, t0 + 3 * SLOT_MS + 2000);
    expect(sinceResume).toMatchObject({ windowSeconds: 20, new: { requests: 200, errors: 0 } });
    // Since exactly a slot's start: that slot counts.
    expect(summarize(w, "r", 60, now, t0 + 3 * SLOT_MS).new.requests).toBe(300);
    expect(summarize(w, "r", 60, now, now).new.requests).toBe(0);
  });

  it("reads slots stored before distinct counts existed as slots without users", () => {
    const t0 = 1_700_000_000_000;
    const old = JSON.parse(
      '{"legacy":{"requests":5,"errors":0,"clientErrors":0,"latency":{"buckets":{"75":5},"count":5,"sum":90,"min":18,"max":18}},"new":{"requests":7,"errors":2,"clientErrors":1,"latency":{"buckets":{"75":7},"count":7,"sum":126,"min":18,"max":18}}}',
    );
    let w: HealthWindows = { r: [{ start: t0, stats: old }] };
    expect(summarize(w, "r", 60, t0 + 1000).new).toMatchObject({ requests: 7, errors: 2, users: 0, errorUsers: 0, errorIps: 0 });
    expect(series(w, "r", 1, t0 + 1000)[0]!.new).toMatchObject({ requests: 7, users: 0 });
    w = addFlush(w, flushOf("r", 10, 1, 0), t0 + 2000).windows;
    expect(summarize(w, "r", 60, t0 + 3000).new).toMatchObject({ requests: 17, errors: 3, users: 10, errorUsers: 1 });
  });

  it("forgets slots older than the retention", () => {
    const t0 = 1_700_000_000_000;
    let w = addFlush({}, flushOf("r", 1, 0, 1), t0).windows;
    w = addFlush(w, flushOf("s", 1, 0, 1), t0 + RETENTION_MS - SLOT_MS).windows;
    expect(Object.keys(prune(w, t0 + RETENTION_MS + 1))).toEqual(["s"]);
  });

  it("gives a chart series with empty slots filled in", () => {
    const t0 = 1_700_000_000_000;
    const w = addFlush({}, flushOf("r", 10, 5, 10), t0).windows;
    const points = series(w, "r", 6, t0 + 2 * SLOT_MS);
    expect(points).toHaveLength(6);
    expect(points[3]!.new.errorRate).toBe(0.5);
    expect(points[5]!.new.requests).toBe(0);
  });
});
