/**
 * Guards: limits on the new variant's health over a window, and the verdict with the numbers
 * behind it. Pure: the caller passes in the summary of the window.
 */
import type { Breach, GuardConfig, LimitName, Verdict } from "../../contracts/guard";
import type { HealthSummary, VariantSummary } from "../../contracts/health";

export type { Breach, GuardConfig, LimitName, Verdict } from "../../contracts/guard";

const pct = (x: number) => `${(x * 100).toFixed(x !== 0 && Math.abs(x) < 0.01 ? 2 : 1)}%`;
const ms = (x: number) => `${Math.round(x)} ms`;
const n = (x: number) => x.toLocaleString("en-US");

/** Evaluates `guard` over a window's summary. */
export function evaluateGuard(guard: GuardConfig | undefined, summary: HealthSummary): Verdict {
  const samples = { legacy: summary.legacy.requests, new: summary.new.requests };
  const base = { windowSeconds: summary.windowSeconds, samples, breaches: [] as Breach[], skipped: [] as LimitName[] };
  if (!guard) return { ...base, status: "no-guard", summary: "No guard configured." };
  const w = `${summary.windowSeconds} s`;
  if (samples.new < guard.minRequests) {
    return { ...base, status: "inconclusive", summary: `Not enough traffic on new to judge: ${n(samples.new)} of ${n(guard.minRequests)} requests needed in ${w}.` };
  }
  const legacyEnough = samples.legacy >= guard.minRequests;
  const nw: VariantSummary = summary.new;
  const lg: VariantSummary = summary.legacy;
  const legacyNote = (value: string) => (lg.requests ? `legacy ${value}, n=${n(lg.requests)}` : "no legacy traffic");
  const breaches: Breach[] = [];
  const skipped: LimitName[] = [];
  const check = (limit: LimitName, value: number | null, threshold: number | undefined, baseline: number | null, sentence: (v: number) => string) => {
    if (threshold === undefined) return;
    if (value === null) {
      skipped.push(limit);
      return;
    }
    if (value > threshold) breaches.push({ limit, threshold, value, baseline, sentence: sentence(value) });
  };

  check(
    "maxErrorRate",
    nw.errorRate,
    guard.maxErrorRate,
    lg.errorRate,
    (v) => `new error rate ${pct(v)} over ${w} (n=${n(nw.requests)}) exceeds maxErrorRate ${pct(guard.maxErrorRate!)} (${legacyNote(pct(lg.errorRate ?? 0))})`,
  );
  check(
    "maxP95Ms",
    nw.p95,
    guard.maxP95Ms,
    lg.p95,
    (v) => `new p95 ${ms(v)} over ${w} (n=${n(nw.requests)}) exceeds maxP95Ms ${ms(guard.maxP95Ms!)} (${legacyNote(lg.p95 === null ? "-" : ms(lg.p95))})`,
  );
  check(
    "maxP99Ms",
    nw.p99,
    guard.maxP99Ms,
    lg.p99,
    (v) => `new p99 ${ms(v)} over ${w} (n=${n(nw.requests)}) exceeds maxP99Ms ${ms(guard.maxP99Ms!)} (${legacyNote(lg.p99 === null ? "-" : ms(lg.p99))})`,
  );
  const errorDelta = legacyEnough && nw.errorRate !== null && lg.errorRate !== null ? nw.errorRate - lg.errorRate : null;
  check(
    "maxErrorRateDelta",
    errorDelta,
    guard.maxErrorRateDelta,
    lg.errorRate,
    (v) =>
      `new error rate ${pct(nw.errorRate!)} is ${pct(v)} above legacy's ${pct(lg.errorRate!)} over ${w} (n=${n(nw.requests)} new, ${n(lg.requests)} legacy); maxErrorRateDelta is ${pct(guard.maxErrorRateDelta!)}`,
  );
  const p95Delta = legacyEnough && nw.p95 !== null && lg.p95 !== null ? nw.p95 - lg.p95 : null;
  check(
    "maxP95DeltaMs",
    p95Delta,
    guard.maxP95DeltaMs,
    lg.p95,
    (v) =>
      `new p95 ${ms(nw.p95!)} is ${ms(v)} slower than legacy's ${ms(lg.p95!)} over ${w} (n=${n(nw.requests)} new, ${n(lg.requests)} legacy); maxP95DeltaMs is ${ms(guard.maxP95DeltaMs!)}`,
  );

  if (breaches.length) {
    return { ...base, status: "breach", breaches, skipped, summary: breaches.map((b) => b.sentence).join("; ") + "." };
  }
  const checked = (["maxErrorRate", "maxErrorRateDelta", "maxP95Ms", "maxP99Ms", "maxP95DeltaMs"] as const).filter((l) => guard[l] !== undefined && !skipped.includes(l));
  if (checked.length === 0 && skipped.length > 0) {
    return {
      ...base,
      status: "inconclusive",
      skipped,
      summary: `Not enough legacy traffic to compare against: ${n(lg.requests)} of ${n(guard.minRequests)} requests needed in ${w}.`,
    };
  }
  const facts = [`new error rate ${pct(nw.errorRate ?? 0)}`, nw.p95 !== null ? `p95 ${ms(nw.p95)}` : null, `n=${n(nw.requests)}`].filter(Boolean).join(", ");
  const legacyFacts = lg.requests ? `legacy ${pct(lg.errorRate ?? 0)}${lg.p95 !== null ? `, p95 ${ms(lg.p95)}` : ""}, n=${n(lg.requests)}` : "no legacy traffic";
  const skippedNote = skipped.length ? ` (not checked for lack of legacy traffic: ${skipped.join(", ")})` : "";
  return { ...base, status: "healthy", skipped, summary: `Within limits over ${w}: ${facts}; ${legacyFacts}${skippedNote}.` };
}
