/**
 * Each guard limit in one table: what it measures on the window, whether it compares with legacy,
 * and the sentence an operator reads when it is exceeded. Pure; control/policy/guard.ts turns the
 * results into a verdict.
 */
import { COMPARING_LIMITS, ERROR_RATE_RATIO_FLOOR, LATENCY_RATIO_FLOOR_MS, type Breach, type GuardConfig, type GuardLimits, type LimitName } from "../../contracts/guard";
import { count, millis, rate, times } from "../../contracts/format";
import type { HealthSummary, VariantSummary } from "../../contracts/health";

/** "1 user", "1,204 users". */
export function people(n: number, one = "user", many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** What new's numbers rest on: `n=200, 37 users` (and who saw errors, for error rates). */
function newBasis(guard: GuardConfig, nw: VariantSummary, errors: boolean): string {
  const basis = `n=${count(nw.requests)}, ${people(nw.users)}`;
  if (!errors) return basis;
  const addresses = guard.minClientIps !== undefined ? `, ${people(nw.errorIps, "address", "addresses")}` : "";
  return `${basis}, errors from ${people(nw.errorUsers)}${addresses}`;
}

/** What a limit's sentence may say: the window, both variants, and how the limit is named. */
interface Facts {
  w: string;
  nw: VariantSummary;
  lg: VariantSummary;
  errorBasis: string;
  latencyBasis: string;
  /** "maxP95Ms", or "warn.maxP95Ms" for a warning. */
  label: string;
}

interface LimitSpec {
  /** New's measured value (for a comparison: against legacy), or null without data. */
  measure(nw: VariantSummary, lg: VariantSummary): number | null;
  baseline(lg: VariantSummary): number | null;
  sentence(value: number, threshold: number, f: Facts): string;
}

type Percentile = "p50" | "p95" | "p99";

const legacyNote = (f: Facts, value: string) => (f.lg.requests ? `legacy ${value}, n=${count(f.lg.requests)}` : "no legacy traffic");
const legacyN = (f: Facts) => `n=${count(f.lg.requests)} legacy`;

function absolute(p: Percentile): LimitSpec {
  return {
    measure: (nw) => nw[p],
    baseline: (lg) => lg[p],
    sentence: (v, t, f) => `new ${p} ${millis(v)} over ${f.w} (${f.latencyBasis}) exceeds ${f.label} ${millis(t)} (${legacyNote(f, millis(f.lg[p]))})`,
  };
}

function delta(p: Percentile): LimitSpec {
  return {
    measure: (nw, lg) => (nw[p] !== null && lg[p] !== null ? nw[p] - lg[p] : null),
    baseline: (lg) => lg[p],
    sentence: (v, t, f) =>
      `new ${p} ${millis(f.nw[p])} is ${millis(v)} slower than legacy's ${millis(f.lg[p])} over ${f.w} (${f.latencyBasis}; ${legacyN(f)}); ${f.label} is ${millis(t)}`,
  };
}

function ratio(p: Percentile): LimitSpec {
  return {
    measure: (nw, lg) => (nw[p] !== null && lg[p] !== null ? nw[p] / Math.max(lg[p], LATENCY_RATIO_FLOOR_MS) : null),
    baseline: (lg) => lg[p],
    sentence: (v, t, f) => {
      const floor = f.lg[p]! < LATENCY_RATIO_FLOOR_MS ? ` (counted as ${millis(LATENCY_RATIO_FLOOR_MS)})` : "";
      return `new ${p} ${millis(f.nw[p])} is ${times(v)} legacy's ${millis(f.lg[p])}${floor} over ${f.w} (${f.latencyBasis}; ${legacyN(f)}); ${f.label} is ${times(t)}`;
    },
  };
}

const SPECS: Record<LimitName, LimitSpec> = {
  maxErrorRate: {
    measure: (nw) => nw.errorRate,
    baseline: (lg) => lg.errorRate,
    sentence: (v, t, f) => `new error rate ${rate(v)} over ${f.w} (${f.errorBasis}) exceeds ${f.label} ${rate(t)} (${legacyNote(f, rate(f.lg.errorRate ?? 0))})`,
  },
  maxErrorRateDelta: {
    measure: (nw, lg) => (nw.errorRate !== null && lg.errorRate !== null ? nw.errorRate - lg.errorRate : null),
    baseline: (lg) => lg.errorRate,
    sentence: (v, t, f) =>
      `new error rate ${rate(f.nw.errorRate!)} is ${rate(v)} above legacy's ${rate(f.lg.errorRate!)} over ${f.w} (${f.errorBasis}; ${legacyN(f)}); ${f.label} is ${rate(t)}`,
  },
  maxErrorRateRatio: {
    measure: (nw, lg) => (nw.errorRate !== null && lg.errorRate !== null ? nw.errorRate / Math.max(lg.errorRate, ERROR_RATE_RATIO_FLOOR) : null),
    baseline: (lg) => lg.errorRate,
    sentence: (v, t, f) => {
      const floor = f.lg.errorRate! < ERROR_RATE_RATIO_FLOOR ? ` (counted as ${rate(ERROR_RATE_RATIO_FLOOR)}, the floor)` : "";
      return `new error rate ${rate(f.nw.errorRate!)} is ${times(v)} legacy's ${rate(f.lg.errorRate!)}${floor} over ${f.w} (${f.errorBasis}; ${legacyN(f)}); ${f.label} is ${times(t)}`;
    },
  },
  maxP50Ms: absolute("p50"),
  maxP95Ms: absolute("p95"),
  maxP99Ms: absolute("p99"),
  maxP50DeltaMs: delta("p50"),
  maxP95DeltaMs: delta("p95"),
  maxP95Ratio: ratio("p95"),
  maxP99Ratio: ratio("p99"),
};

/** The order limits are checked and listed in: absolute limits first, then comparisons with legacy. */
export const CHECK_ORDER: readonly LimitName[] = [
  "maxErrorRate",
  "maxP50Ms",
  "maxP95Ms",
  "maxP99Ms",
  "maxErrorRateDelta",
  "maxErrorRateRatio",
  "maxP50DeltaMs",
  "maxP95DeltaMs",
  "maxP95Ratio",
  "maxP99Ratio",
];

/**
 * Every limit set in `limits` checked against the window: the exceeded ones, and the ones without
 * data (a comparison with fewer than `minRequests` on legacy). `prefix` names warnings `warn.…`.
 */
export function checkLimits(guard: GuardConfig, limits: GuardLimits, summary: HealthSummary, prefix = ""): { breaches: Breach[]; skipped: LimitName[] } {
  const nw = summary.new;
  const lg = summary.legacy;
  const legacyEnough = lg.requests >= guard.minRequests;
  const errorBasis = newBasis(guard, nw, true);
  const latencyBasis = newBasis(guard, nw, false);
  const breaches: Breach[] = [];
  const skipped: LimitName[] = [];
  for (const limit of CHECK_ORDER) {
    const threshold = limits[limit];
    if (threshold === undefined) continue;
    const spec = SPECS[limit];
    const value = COMPARING_LIMITS.includes(limit) && !legacyEnough ? null : spec.measure(nw, lg);
    if (value === null) skipped.push(limit);
    else if (value > threshold) {
      const facts: Facts = { w: `${summary.windowSeconds} s`, nw, lg, errorBasis, latencyBasis, label: `${prefix}${limit}` };
      breaches.push({ limit, threshold, value, baseline: spec.baseline(lg), sentence: spec.sentence(value, threshold, facts) });
    }
  }
  return { breaches, skipped };
}
