/**
 * The limits the rollout plans ask for: error rates and latencies relative to legacy ("no more
 * than 20% worse"), p50, and `warn` limits that only report. Exact sentences: they become audit
 * reasons and webhook texts.
 */
import { describe, expect, it } from "vitest";
import { toFieldIssues } from "../../contracts/field-issues";
import { GuardSchema } from "../../contracts/guard";
import type { HealthSummary, VariantSummary } from "../../contracts/health";
import { RolloutConfigSchema } from "../../contracts/rollout";
import { evaluateGuard } from "../../control/policy/guard";

/** One variant over 60 s: `errorUsers` of its `users` saw the errors. */
function variant(requests: number, errors: number, latency: { p50?: number; p95?: number; p99?: number } = {}, who: Partial<VariantSummary> = {}): VariantSummary {
  return {
    requests,
    errors,
    clientErrors: 0,
    errorRate: requests ? errors / requests : null,
    p50: latency.p50 ?? 20,
    p95: latency.p95 ?? 40,
    p99: latency.p99 ?? 60,
    users: 40,
    errorUsers: errors ? 12 : 0,
    errorIps: errors ? 9 : 0,
    ...who,
  };
}
const window = (legacy: VariantSummary, next: VariantSummary): HealthSummary => ({ windowSeconds: 60, legacy, new: next });
const guard = (g: Record<string, unknown>) => GuardSchema.parse({ minRequests: 100, ...g });

describe("relative error rate: maxErrorRateRatio", () => {
  it("breaches when new fails three times as often as legacy, and says so against the ratio", () => {
    const v = evaluateGuard(guard({ maxErrorRateRatio: 1.2 }), window(variant(4000, 40), variant(1200, 36)));
    expect(v.status).toBe("breach");
    expect(v.breaches).toEqual([expect.objectContaining({ limit: "maxErrorRateRatio", threshold: 1.2, baseline: 0.01 })]);
    expect(v.breaches[0]!.value).toBeCloseTo(3, 9);
    expect(v.summary).toBe("new error rate 3.0% is 3× legacy's 1.0% over 60 s (n=1,200, 40 users, errors from 12 users; n=4,000 legacy); maxErrorRateRatio is 1.2×.");
  });

  it("stays healthy 10% worse than legacy under a 1.2 ratio", () => {
    const v = evaluateGuard(guard({ maxErrorRateRatio: 1.2 }), window(variant(4000, 40), variant(2000, 22)));
    expect(v.status).toBe("healthy");
  });

  it("compares against a 0.1% floor when legacy has no errors at all, and says it did", () => {
    const v = evaluateGuard(guard({ maxErrorRateRatio: 1.2 }), window(variant(4000, 0), variant(2000, 10)));
    expect(v.status).toBe("breach");
    expect(v.breaches[0]!.value).toBeCloseTo(5, 9);
    expect(v.summary).toBe(
      "new error rate 0.50% is 5× legacy's 0.0% (counted as 0.10%, the floor) over 60 s (n=2,000, 40 users, errors from 12 users; n=4,000 legacy); maxErrorRateRatio is 1.2×.",
    );
    // New at 0.1% against legacy's 0%: the floor itself, a ratio of 1, within 1.2.
    expect(evaluateGuard(guard({ maxErrorRateRatio: 1.2 }), window(variant(4000, 0), variant(2000, 2))).status).toBe("healthy");
  });

  it("is inconclusive without enough legacy traffic to compare with", () => {
    const v = evaluateGuard(guard({ maxErrorRateRatio: 1.2 }), window(variant(60, 0), variant(2000, 200)));
    expect(v).toMatchObject({ status: "inconclusive", skipped: ["maxErrorRateRatio"], breaches: [] });
    expect(v.summary).toBe("Not enough legacy traffic to compare against: 60 of 100 requests needed in 60 s.");
  });

  it("keeps the minUsers rule: errors from two users are not a breach of the ratio", () => {
    const v = evaluateGuard(guard({ maxErrorRateRatio: 1.2 }), window(variant(4000, 4), variant(1000, 50, {}, { errorUsers: 2 })));
    expect(v).toMatchObject({ status: "inconclusive", unconfirmed: ["maxErrorRateRatio"] });
    expect(v.summary).toMatch(/maxErrorRateRatio is 1\.2×, but errors came from only 2 users \(minUsers is 5\): not a breach until errors come from more users\.$/);
  });

  it("names the limit in the reason the alarm files, as for every limit", () => {
    const v = evaluateGuard(guard({ maxErrorRate: 0.5, maxErrorRateRatio: 2 }), window(variant(4000, 40), variant(1000, 50)));
    expect(v.breaches.map((b) => b.limit)).toEqual(["maxErrorRateRatio"]);
  });
});

describe("latency limits: p50, deltas and ratios", () => {
  const legacy = variant(3000, 0, { p50: 45, p95: 300, p99: 400 });

  it("checks p50 absolutely and against legacy", () => {
    const v = evaluateGuard(guard({ maxP50Ms: 200, maxP50DeltaMs: 100 }), window(legacy, variant(1000, 0, { p50: 345, p95: 500, p99: 600 })));
    expect(v.breaches.map((b) => b.sentence)).toEqual([
      "new p50 345 ms over 60 s (n=1,000, 40 users) exceeds maxP50Ms 200 ms (legacy 45 ms, n=3,000)",
      "new p50 345 ms is 300 ms slower than legacy's 45 ms over 60 s (n=1,000, 40 users; n=3,000 legacy); maxP50DeltaMs is 100 ms",
    ]);
  });

  it("breaches maxP95Ratio when new's p95 is twice legacy's, and not maxP99Ratio within it", () => {
    const v = evaluateGuard(guard({ maxP95Ratio: 1.5, maxP99Ratio: 1.5 }), window(legacy, variant(1000, 0, { p50: 50, p95: 600, p99: 560 })));
    expect(v.breaches).toEqual([expect.objectContaining({ limit: "maxP95Ratio", value: 2, baseline: 300, threshold: 1.5 })]);
    expect(v.summary).toBe("new p95 600 ms is 2× legacy's 300 ms over 60 s (n=1,000, 40 users; n=3,000 legacy); maxP95Ratio is 1.5×.");
  });

  it("counts a legacy p99 under 1 ms as 1 ms rather than dividing by almost nothing", () => {
    const v = evaluateGuard(guard({ maxP99Ratio: 10 }), window(variant(3000, 0, { p99: 0.2 }), variant(1000, 0, { p99: 12 })));
    expect(v.breaches[0]).toMatchObject({ limit: "maxP99Ratio", value: 12 });
    expect(v.summary).toMatch(/^new p99 12 ms is 12× legacy's 0\.2 ms \(counted as 1\.0 ms\) over 60 s/);
  });

  it("skips latency ratios without enough legacy traffic, like deltas", () => {
    const v = evaluateGuard(guard({ maxP95Ratio: 1.5, maxP95Ms: 900 }), window(variant(10, 0, { p95: 10 }), variant(1000, 0, { p95: 600 })));
    expect(v).toMatchObject({ status: "healthy", skipped: ["maxP95Ratio"] });
  });
});

describe("warnings: guard.warn", () => {
  const g = guard({ maxErrorRate: 0.05, maxP95Ms: 800, warn: { maxErrorRate: 0.02, maxP95Ms: 500 } });

  it("reports a warn limit exceeded without acting: the verdict stays healthy", () => {
    const v = evaluateGuard(g, window(variant(3000, 6), variant(1000, 30, { p95: 450 })));
    expect(v.status).toBe("healthy");
    expect(v.breaches).toEqual([]);
    expect(v.warnings.map((w) => w.sentence)).toEqual([
      "new error rate 3.0% over 60 s (n=1,000, 40 users, errors from 12 users) exceeds warn.maxErrorRate 2.0% (legacy 0.20%, n=3,000)",
    ]);
  });

  it("lists warnings next to a breach of another limit", () => {
    const v = evaluateGuard(g, window(variant(3000, 6), variant(1000, 30, { p95: 900 })));
    expect(v.status).toBe("breach");
    expect(v.breaches.map((b) => b.limit)).toEqual(["maxP95Ms"]);
    expect(v.warnings.map((w) => w.limit)).toEqual(["maxErrorRate", "maxP95Ms"]);
  });

  it("does not warn about errors one user caused, nor on too little traffic", () => {
    expect(evaluateGuard(g, window(variant(3000, 6), variant(1000, 30, {}, { errorUsers: 1 }))).warnings).toEqual([]);
    expect(evaluateGuard(g, window(variant(3000, 6), variant(50, 30, { p95: 700 }))).warnings).toEqual([]);
  });

  it("warns on relative limits too", () => {
    const v = evaluateGuard(guard({ warn: { maxP95Ratio: 1.2 } }), window(variant(3000, 0, { p95: 300 }), variant(1000, 0, { p95: 420 })));
    expect(v).toMatchObject({ status: "healthy", breaches: [] });
    expect(v.warnings[0]!.sentence).toBe("new p95 420 ms is 1.4× legacy's 300 ms over 60 s (n=1,000, 40 users; n=3,000 legacy); warn.maxP95Ratio is 1.2×");
  });
});

describe("guard schema", () => {
  const issues = (g: unknown) => {
    const parsed = RolloutConfigSchema.safeParse({ id: "r", origins: { legacy: "https://l.example", new: "https://n.example" }, guard: g });
    expect(parsed.success).toBe(false);
    return toFieldIssues(parsed.error!);
  };

  it("refuses a warning at or above its own limit, at the warning", () => {
    expect(issues({ maxErrorRate: 0.05, warn: { maxErrorRate: 0.05 } })).toEqual([
      { pointer: "/guard/warn/maxErrorRate", message: "must be below the guard's own maxErrorRate (0.05): the guard would act before this warned" },
    ]);
  });

  it("refuses ratios below 1, unknown warn fields, and window settings inside warn", () => {
    expect(issues({ maxP95Ratio: 0.9 })).toEqual([{ pointer: "/guard/maxP95Ratio", message: "must be at least 1 (new ÷ legacy: 1.2 = up to 20% worse than legacy)" }]);
    expect(issues({ warn: { maxErrorRte: 0.1 } })).toEqual([{ pointer: "/guard/warn", message: "unknown field: maxErrorRte" }]);
    expect(issues({ warn: { windowSeconds: 30 } })).toEqual([{ pointer: "/guard/warn", message: "unknown field: windowSeconds" }]);
    expect(issues({ maxErrorRateRatio: "1.2" })[0]!.pointer).toBe("/guard/maxErrorRateRatio");
  });

  it("accepts every limit, and a guard that only warns", () => {
    const all = {
      maxErrorRate: 0.1,
      maxErrorRateDelta: 0.05,
      maxErrorRateRatio: 2,
      maxP50Ms: 300,
      maxP95Ms: 900,
      maxP99Ms: 2000,
      maxP50DeltaMs: 100,
      maxP95DeltaMs: 200,
      maxP95Ratio: 2,
      maxP99Ratio: 3,
    };
    expect(GuardSchema.safeParse({ ...all, warn: { maxErrorRate: 0.05 } }).success).toBe(true);
    expect(evaluateGuard(guard({ warn: { maxP95Ms: 100 } }), window(variant(1000, 0), variant(1000, 0, { p95: 150 })))).toMatchObject({
      status: "healthy",
      warnings: [{ limit: "maxP95Ms" }],
    });
  });
});
