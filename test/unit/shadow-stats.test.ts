import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_SHADOW_EXAMPLES,
  mergeShadowFlush,
  newShadowAccumulator,
  recordShadow,
  shadowView,
  takeShadowFlush,
  type ShadowOutcome,
  type ShadowStats,
} from "../../contracts/shadow-stats";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (second: number) => new Date(T0 + second * 1000).toISOString();

function outcome(kind: "match" | "status" | "header" | "body", second: number, legacyMs = 10, newMs = 20): ShadowOutcome {
  const facts = { latencyMs: { legacy: legacyMs, new: newMs }, at: at(second), method: "GET", path: `/api/${second}`, legacyStatus: 200, newStatus: kind === "status" ? 500 : 200 };
  return kind === "match" ? { kind, ...facts } : { kind, pointer: kind === "body" ? "/a" : null, legacyValue: "1", newValue: "2", ...facts };
}

// Integer latencies: floating-point sums are not associative, and that is not what is tested here.
const anOutcome = fc.record({
  rollout: fc.constantFrom("a", "b"),
  prefix: fc.constantFrom("/", "/api"),
  kind: fc.constantFrom("error", "match", "status", "header", "body"),
  second: fc.nat(1000),
  legacyMs: fc.nat(5000),
  newMs: fc.nat(5000),
});
type Generated = typeof anOutcome extends fc.Arbitrary<infer T> ? T : never;

function flushOf(outcomes: readonly Generated[]): ShadowStats {
  const acc = newShadowAccumulator();
  for (const o of outcomes) recordShadow(acc, o.rollout, o.prefix, o.kind === "error" ? { kind: "error" } : outcome(o.kind, o.second, o.legacyMs, o.newMs));
  return takeShadowFlush(acc);
}

describe("shadow stats", () => {
  it("counts matches, mismatches by kind and errors apart, with both latencies", () => {
    const acc = newShadowAccumulator();
    recordShadow(acc, "checkout", "/api", outcome("match", 1, 10, 30));
    recordShadow(acc, "checkout", "/api", outcome("body", 2, 12, 50));
    recordShadow(acc, "checkout", "/api", outcome("status", 3));
    recordShadow(acc, "checkout", "/api", { kind: "error" });
    const view = shadowView(takeShadowFlush(acc).rollouts.checkout);
    expect(view.prefixes).toEqual([
      expect.objectContaining({ prefix: "/api", mirrored: 4, matched: 1, mismatched: 2, errors: 1, byKind: { status: 1, header: 0, body: 1 }, mismatchRate: 2 / 3 }),
    ]);
    expect(view.prefixes[0]!.latencyMs.new.p99).toBeGreaterThan(view.prefixes[0]!.latencyMs.legacy.p99!);
    expect(view.examples.map((e) => [e.kind, e.path, e.pointer])).toEqual([
      ["status", "/api/3", null],
      ["body", "/api/2", "/a"],
    ]);
  });

  it("starts again from nothing after a flush", () => {
    const acc = newShadowAccumulator();
    recordShadow(acc, "r", "/", outcome("match", 1));
    expect(Object.keys(takeShadowFlush(acc).rollouts)).toEqual(["r"]);
    expect(takeShadowFlush(acc)).toEqual({ rollouts: {} });
  });

  it("keeps the 20 newest mismatch examples, whatever order they arrive in", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([...Array(50).keys()], { minLength: 50 }), (seconds) => {
        const acc = newShadowAccumulator();
        for (const s of seconds) recordShadow(acc, "r", "/", outcome("body", s));
        const kept = shadowView(takeShadowFlush(acc).rollouts.r).examples.map((e) => e.at);
        expect(kept).toEqual([...Array(MAX_SHADOW_EXAMPLES).keys()].map((i) => at(49 - i)));
      }),
    );
  });

  it("merges flushes associatively, and the counts add up to every mirror recorded", () => {
    const batch = fc.array(anOutcome, { maxLength: 40 });
    fc.assert(
      fc.property(batch, batch, batch, (x, y, z) => {
        const [a, b, c] = [flushOf(x), flushOf(y), flushOf(z)];
        const left = mergeShadowFlush(mergeShadowFlush(a, b), c);
        expect(mergeShadowFlush(a, mergeShadowFlush(b, c))).toEqual(left);
        expect(mergeShadowFlush(c, mergeShadowFlush(a, b))).toEqual(left);
        // Merging separate flushes = recording everything in one isolate.
        expect(left).toEqual(mergeShadowFlush({ rollouts: {} }, flushOf([...x, ...y, ...z])));
        const all = [...x, ...y, ...z];
        for (const rollout of ["a", "b"]) {
          const view = shadowView(left.rollouts[rollout]);
          const mine = all.filter((o) => o.rollout === rollout);
          const sum = (f: (p: (typeof view.prefixes)[number]) => number) => view.prefixes.reduce((n, p) => n + f(p), 0);
          expect(sum((p) => p.mirrored)).toBe(mine.length);
          expect(sum((p) => p.errors)).toBe(mine.filter((o) => o.kind === "error").length);
          expect(sum((p) => p.matched)).toBe(mine.filter((o) => o.kind === "match").length);
          expect(sum((p) => p.byKind.body)).toBe(mine.filter((o) => o.kind === "body").length);
          for (const p of view.prefixes) expect(p.mirrored).toBe(p.matched + p.mismatched + p.errors);
          expect(view.examples.length).toBe(Math.min(MAX_SHADOW_EXAMPLES, mine.filter((o) => ["status", "header", "body"].includes(o.kind)).length));
        }
      }),
    );
  });

  it("merges a total that went through JSON (empty histograms lose their infinite bounds)", () => {
    const acc = newShadowAccumulator();
    recordShadow(acc, "r", "/", { kind: "error" });
    const stored = JSON.parse(JSON.stringify(takeShadowFlush(acc))) as ShadowStats;
    recordShadow(acc, "r", "/", outcome("match", 1, 40, 80));
    const merged = mergeShadowFlush(stored, takeShadowFlush(acc));
    const latency = shadowView(merged.rollouts.r).prefixes[0]!.latencyMs;
    expect(Math.abs(latency.legacy.p50! - 40)).toBeLessThan(40 * 0.02); // the histogram's accuracy
    expect(merged.rollouts.r!.prefixes["/"]!.latency.new.min).toBe(80);
  });

  it("shows nothing for a rollout without shadow results, and no rate before the first answer", () => {
    expect(shadowView(undefined)).toEqual({ prefixes: [], examples: [] });
    const acc = newShadowAccumulator();
    recordShadow(acc, "r", "/", { kind: "error" });
    expect(shadowView(acc.rollouts.r).prefixes[0]).toMatchObject({ mirrored: 1, errors: 1, mismatchRate: null, latencyMs: { legacy: { p50: null, p95: null, p99: null } } });
  });
});
