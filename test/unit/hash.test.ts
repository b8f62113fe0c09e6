import fc from "fast-check";
import { describe, expect, it } from "vitest";
import vectors from "../fixtures/hash-vectors.json";
import { BUCKET_COUNT, bucketOf, HASH_SPEC_VERSION, murmur3, thresholdOf } from "../../contracts/hash";

describe("bucketing hash, spec version 1", () => {
  it("implements the spec version the published vectors describe", () => {
    expect(HASH_SPEC_VERSION).toBe(vectors.specVersion);
  });

  it.each(vectors.murmur3Reference)("matches the reference MurmurHash3 of $input", ({ input, murmur3: expected }) => {
    expect(murmur3(input)).toBe(expected);
  });

  it.each(vectors.vectors)("puts user $userId of salt $salt in bucket $bucket", ({ salt, userId, murmur3: hash, bucket, inNewAt }) => {
    expect(murmur3(`${salt}:${userId}`)).toBe(hash);
    expect(bucketOf(salt, userId)).toBe(bucket);
    for (const [percent, inNew] of Object.entries(inNewAt)) {
      expect(bucketOf(salt, userId) < thresholdOf(Number(percent)), `at ${percent}%`).toBe(inNew);
    }
  });

  it("hashes the UTF-8 bytes, as TextEncoder encodes them", () => {
    // An independent byte-level MurmurHash3 over TextEncoder output must agree on any string.
    const reference = (text: string) => {
      const bytes = new TextEncoder().encode(text);
      let h = 0;
      let i = 0;
      const mixK = (k: number) => {
        k = Math.imul(k, 0xcc9e2d51);
        k = (k << 15) | (k >>> 17);
        return Math.imul(k, 0x1b873593);
      };
      for (; i + 4 <= bytes.length; i += 4) {
        h ^= mixK(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      }
      let k = 0;
      const rest = bytes.length & 3;
      if (rest === 3) k ^= bytes[i + 2]! << 16;
      if (rest >= 2) k ^= bytes[i + 1]! << 8;
      if (rest >= 1) {
        k ^= bytes[i]!;
        h ^= mixK(k);
      }
      h ^= bytes.length;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      return h >>> 0;
    };
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => murmur3(s) === reference(s)),
      { numRuns: 2000 },
    );
  });

  it("always lands in 0..9999", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (salt, user) => {
        const b = bucketOf(salt, user);
        return Number.isInteger(b) && b >= 0 && b < BUCKET_COUNT;
      }),
    );
  });

  it("turns percentages with two decimals into whole buckets without float drift", () => {
    expect(thresholdOf(14.29)).toBe(1429);
    expect(thresholdOf(0.01)).toBe(1);
    expect(thresholdOf(57.07)).toBe(5707);
    expect(thresholdOf(100)).toBe(10_000);
  });
});

describe("distribution", () => {
  // 100,000 random users (seeded, so a failure can be replayed).
  const users: string[] = [];
  let seed = 0x2f6b_1d3a;
  const next = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed;
  };
  for (let i = 0; i < 100_000; i++) users.push(`${next().toString(36)}-${next().toString(16)}`);
  const buckets = users.map((u) => bucketOf("distribution-check", u));

  it.each([1, 10, 25, 50, 75, 99])("sends %d%% of 100,000 random users to new, within ±1%%", (percent) => {
    const threshold = thresholdOf(percent);
    const inNew = buckets.filter((b) => b < threshold).length;
    expect(Math.abs((inNew / users.length) * 100 - percent)).toBeLessThan(1);
  });

  it("spreads users evenly over the 100 percentage points (chi-square)", () => {
    const counts = new Array(100).fill(0);
    for (const b of buckets) counts[Math.floor(b / 100)]++;
    const expected = users.length / 100;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 99 degrees of freedom: p = 0.001 critical value is about 148.2.
    expect(chi2).toBeLessThan(148.2);
  });

  it("gives different rollouts independent assignments (salt changes the bucket)", () => {
    const other = users.map((u) => bucketOf("another-rollout", u));
    const bothInTenPercent = buckets.filter((b, i) => b < 1000 && other[i]! < 1000).length;
    // Independent: about 1% of users are in the first 10% of both.
    expect(bothInTenPercent / users.length).toBeGreaterThan(0.008);
    expect(bothInTenPercent / users.length).toBeLessThan(0.012);
  });
});

describe("cross-checked against implementations no one here wrote", () => {
  // unleash-client (Node) buckets with murmurhash3js's x86 hash32 of `${groupId}:${id}`, the same
  // input this spec hashes, and normalizedStrategyValue = hash % 100 + 1. murmurhash3js reads
  // strings a UTF-16 unit at a time, so the two agree on ASCII ids (nearly every user id).
  const asciiId = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 64 });

  it("agrees with murmurhash3js (unleash-client's hash) on every ASCII id", async () => {
    const murmurhash3js = (await import("murmurhash3js")).default as { x86: { hash32(text: string, seed?: number): number } };
    fc.assert(
      fc.property(asciiId, asciiId, (salt, id) => {
        expect(bucketOf(salt, id)).toBe(murmurhash3js.x86.hash32(`${salt}:${id}`, 0) % BUCKET_COUNT);
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees with unleash-client's normalizedStrategyValue (its gradual rollout) on every ASCII id", async () => {
    const { normalizedStrategyValue } = (await import("unleash-client/lib/strategy/util.js")) as { normalizedStrategyValue(id: string, groupId: string): number };
    fc.assert(
      fc.property(asciiId, asciiId, (salt, id) => {
        expect(normalizedStrategyValue(id, salt)).toBe((bucketOf(salt, id) % 100) + 1);
      }),
      { numRuns: 2000 },
    );
  });
});
