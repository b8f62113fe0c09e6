import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { murmur3 } from "../../contracts/hash";
import { add, emptySketch, estimate, hashIdentity, merge, REGISTERS, reviveSketch, SKETCH_SEED, type Sketch, SketchBuilder, union } from "../../contracts/sketch";

/** Seeded PRNG so that a failure replays. */
function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** `n` distinct random-looking ids drawn from a seeded generator. */
function ids(n: number, seed: number): string[] {
  const random = rng(seed);
  const out = new Set<string>();
  while (out.size < n) out.add(`user-${Math.floor(random() * 2 ** 48).toString(36)}`);
  return [...out];
}

const sketchOf = (items: readonly string[]): Sketch => items.reduce((s, id) => add(s, hashIdentity(id)), emptySketch());

describe("distinct-count sketch", () => {
  it.each([1_000, 10_000, 100_000])("counts %i distinct users to within 5%", (n) => {
    for (const seed of [1, 2, 3]) {
      const got = estimate(sketchOf(ids(n, seed * 7919 + n)));
      expect(Math.abs(got / n - 1), `seed ${seed}: estimated ${got}`).toBeLessThan(0.05);
    }
  });

  it("counts a handful of users nearly exactly, and nobody as zero", () => {
    expect(estimate(emptySketch())).toBe(0);
    let exact = 0;
    let runs = 0;
    for (let seed = 1; seed <= 50; seed++) {
      let s = emptySketch();
      for (const [i, id] of ids(20, seed).entries()) {
        s = add(s, hashIdentity(id));
        const got = Math.round(estimate(s));
        expect(Math.abs(got - (i + 1)), `seed ${seed}, ${i + 1} users`).toBeLessThanOrEqual(1);
        runs++;
        if (got === i + 1) exact++;
      }
    }
    // Off by one only when two of the users share a register (about 2% of the time at 20 users).
    expect(exact / runs).toBeGreaterThan(0.97);
  });

  it("counts a user seen many times once", () => {
    let s = emptySketch();
    for (let i = 0; i < 650; i++) s = add(s, hashIdentity("the-same-client"));
    expect(Math.round(estimate(s))).toBe(1);
  });

  it("merges two halves into exactly the sketch of the whole, dense or sparse", () => {
    for (const n of [50, 5_000, 40_000]) {
      const all = ids(n, n);
      const whole = sketchOf(all);
      const halves = merge(sketchOf(all.slice(0, n / 2)), sketchOf(all.slice(n / 2)));
      expect(halves).toEqual(whole);
      expect(estimate(halves)).toBe(estimate(whole));
      expect(union([sketchOf(all.slice(0, n / 3)), sketchOf(all.slice(n / 3, n / 2)), sketchOf(all.slice(n / 2))])).toEqual(whole);
    }
  });

  it("merges in any order, and merging a sketch with itself changes nothing", () => {
    const arbitrarySketch = fc.array(fc.string(), { maxLength: 600 }).map(sketchOf);
    fc.assert(
      fc.property(arbitrarySketch, arbitrarySketch, arbitrarySketch, (a, b, c) => {
        const left = merge(merge(a, b), c);
        expect(merge(a, merge(b, c))).toEqual(left);
        expect(merge(c, merge(b, a))).toEqual(left);
        expect(merge(a, a)).toEqual(a);
      }),
      { numRuns: 100 },
    );
  });

  it("stays small as JSON: sparse while few users, at most about 4 KB however many", () => {
    const few = sketchOf(ids(30, 5));
    expect("sparse" in few).toBe(true);
    expect(JSON.stringify(few).length).toBeLessThan(400);
    const many = sketchOf(ids(50_000, 5));
    expect("dense" in many).toBe(true);
    expect(JSON.stringify(many).length).toBeLessThan(REGISTERS + 20);
    expect(estimate(JSON.parse(JSON.stringify(many)))).toBe(estimate(many));
  });

  it("does not copy a sketch that an item leaves unchanged", () => {
    const s = sketchOf(ids(1000, 9));
    expect(add(s, hashIdentity(ids(1000, 9)[0]!))).toBe(s);
  });

  it("hashes identities with its own seed, not bucketing's", () => {
    expect(SKETCH_SEED).not.toBe(0);
    expect(hashIdentity("alice")).toBe(murmur3("alice", SKETCH_SEED));
    expect(hashIdentity("alice")).not.toBe(murmur3("alice", 0));
  });

  it("reads anything that is not a sketch (an old row, a missing field) as empty", () => {
    for (const value of [undefined, null, 3, "x", {}, { dense: "too short" }, { sparse: [1, 2] }]) {
      expect(estimate(reviveSketch(value))).toBe(0);
    }
    const s = sketchOf(ids(10, 3));
    expect(reviveSketch(JSON.parse(JSON.stringify(s)))).toEqual(s);
    // Garbage inside a sparse sketch is ignored rather than thrown on.
    expect(Math.round(estimate({ sparse: { "-1": 3, "99999": 2, x: 1, "7": 1.5, "12": 2 } }))).toBe(1);
  });
});

describe("a sketch filled in place (the isolate's hot path)", () => {
  it("holds exactly the registers that adding the same items one by one gives, sparse or dense", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 2000 }), (hashes) => {
        const builder = new SketchBuilder();
        for (const h of hashes) builder.add(h | 0);
        const expected = hashes.reduce((s, h) => add(s, h | 0), emptySketch());
        const got = builder.take();
        expect(estimate(got)).toBe(estimate(expected));
        expect(merge(got, expected)).toEqual(merge(expected, got));
        expect("dense" in got).toBe("dense" in expected);
      }),
      { numRuns: 60 },
    );
  });

  it("starts empty again after each take", () => {
    const builder = new SketchBuilder();
    for (const id of ids(500, 11)) builder.add(hashIdentity(id));
    expect(estimate(builder.take())).toBeGreaterThan(450);
    expect(builder.take()).toEqual(emptySketch());
    builder.add(hashIdentity("one"));
    expect(Math.round(estimate(builder.take()))).toBe(1);
  });
});
