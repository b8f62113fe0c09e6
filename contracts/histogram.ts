/**
 * A mergeable latency histogram with logarithmic buckets, as plain JSON-serialisable data (it
 * crosses RPC from isolates to the Durable Object and is stored as JSON).
 *
 * Bucket i holds values in (γ^(i-1), γ^i] with γ = 1.04. Reporting a bucket by 2γ^i/(γ+1), the
 * point whose relative distance to both ends is equal, bounds the relative error of any quantile
 * by (γ-1)/(γ+1) ≈ 1.96% (the DDSketch argument). Merging adds counts, so merged histograms give
 * exactly the quantiles of the combined data at the same accuracy. No I/O.
 */

/** Bucket growth factor. */
export const GAMMA = 1.04;
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this (ms) share one bucket: nothing is measured below 10 µs. */
export const MIN_VALUE_MS = 0.01;
/** Values above this are clamped (a request of over 3 hours is not a latency). */
export const MAX_VALUE_MS = 1e7;

export interface Histogram {
  /** Sparse bucket index → count. */
  buckets: Record<string, number>;
  count: number;
  sum: number;
  min: number;
  max: number;
}

export function emptyHistogram(): Histogram {
  return { buckets: {}, count: 0, sum: 0, min: Infinity, max: -Infinity };
}

/** The bucket index of a value in ms. */
export function bucketIndex(valueMs: number): number {
  const v = Math.min(Math.max(valueMs, MIN_VALUE_MS), MAX_VALUE_MS);
  return Math.ceil(Math.log(v) / LOG_GAMMA);
}

/** The value a bucket stands for: equal relative distance to both of its ends. */
export function bucketValue(index: number): number {
  return (2 * GAMMA ** index) / (GAMMA + 1);
}

/** Adds one value (ms) to `h` in place; returns `h`. */
export function record(h: Histogram, valueMs: number): Histogram {
  if (!Number.isFinite(valueMs) || valueMs < 0) return h;
  const key = bucketIndex(valueMs);
  h.buckets[key] = (h.buckets[key] ?? 0) + 1;
  h.count++;
  h.sum += valueMs;
  if (valueMs < h.min) h.min = valueMs;
  if (valueMs > h.max) h.max = valueMs;
  return h;
}

/** A new histogram holding both inputs' values. */
export function merge(a: Histogram, b: Histogram): Histogram {
  const out: Histogram = { buckets: { ...a.buckets }, count: a.count + b.count, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
  for (const [k, n] of Object.entries(b.buckets)) out.buckets[k] = (out.buckets[k] ?? 0) + n;
  return out;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) in ms, within about 2% of the exact value; `null` when empty.
 * Uses the nearest-rank definition: the value at rank ceil(q × count).
 */
export function quantile(h: Histogram, q: number): number | null {
  if (h.count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * h.count));
  const keys = Object.keys(h.buckets)
    .map(Number)
    .sort((x, y) => x - y);
  let seen = 0;
  for (const key of keys) {
    seen += h.buckets[key]!;
    if (seen >= rank) return Math.min(Math.max(bucketValue(key), h.min), h.max);
  }
  return h.max;
}

/** JSON turns ±Infinity into null: restore an empty histogram's bounds after a round trip. */
export function revive(h: Histogram): Histogram {
  return { buckets: h.buckets ?? {}, count: h.count ?? 0, sum: h.sum ?? 0, min: h.min ?? Infinity, max: h.max ?? -Infinity };
}
