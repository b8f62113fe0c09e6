/**
 * Guards: limits on the new variant's health over a window, and the verdict with the numbers
 * behind it. Pure: the caller passes in the summary of the window.
 */
import type { Breach, GuardConfig, LimitName, Verdict } from "../../contracts/guard";
import { count, millis, rate } from "../../contracts/format";
import type { HealthSummary, VariantSummary } from "../../contracts/health";

export type { Breach, GuardConfig, LimitName, Verdict } from "../../contracts/guard";

/** Evaluates `guard` over a window's summary. */
export function evaluateGuard(guard: GuardConfig | undefined, summary: HealthSummary): Verdict {
  const samples = { legacy: summary.legacy.requests, new: summary.new.requests };
  const base = { windowSeconds: summary.windowSeconds, samples, breaches: [] as Breach[], skipped: [] as LimitName[] };
  if (!guard) return { ...base, status: "no-guard", summary: "No guard configured." };
  const w = `${summary.windowSeconds} s`;
  if (samples.new < guard.minRequests) {
    return { ...base, status: "inconclusive", summary: `Not enough traffic on new to judge: ${count(samples.new)} of ${count(guard.minRequests)} requests needed in ${w}.` };
  }
  const legacyEnough = samples.legacy >= guard.minRequests;
  const nw: VariantSummary = summary.new;
  const lg: VariantSummary = summary.legacy;
  const legacyNote = (value: string) => (lg.requests ? `legacy ${value}, n=${count(lg.requests)}` : "no legacy traffic");
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
    (v) => `new error rate ${rate(v)} over ${w} (n=${count(nw.requests)}) exceeds maxErrorRate ${rate(guard.maxErrorRate!)} (${legacyNote(rate(lg.errorRate ?? 0))})`,
  );
  check(
    "maxP95Ms",
    nw.p95,
    guard.maxP95Ms,
    lg.p95,
    (v) => `new p95 ${millis(v)} over ${w} (n=${count(nw.requests)}) exceeds maxP95Ms ${millis(guard.maxP95Ms!)} (${legacyNote(lg.p95 === null ? "-" : millis(lg.p95))})`,
  );
  check(
    "maxP99Ms",
    nw.p99,
    guard.maxP99Ms,
    lg.p99,
    (v) => `new p99 ${millis(v)} over ${w} (n=${count(nw.requests)}) exceeds maxP99Ms ${millis(guard.maxP99Ms!)} (${legacyNote(lg.p99 === null ? "-" : millis(lg.p99))})`,
  );
  const errorDelta = legacyEnough && nw.errorRate !== null && lg.errorRate !== null ? nw.errorRate - lg.errorRate : null;
  check(
    "maxErrorRateDelta",
    errorDelta,
    guard.maxErrorRateDelta,
    lg.errorRate,
    (v) =>
      `new error rate ${rate(nw.errorRate!)} is ${rate(v)} above legacy's ${rate(lg.errorRate!)} over ${w} (n=${count(nw.requests)} new, ${count(lg.requests)} legacy); maxErrorRateDelta is ${rate(guard.maxErrorRateDelta!)}`,
  );
  const p95Delta = legacyEnough && nw.p95 !== null && lg.p95 !== null ? nw.p95 - lg.p95 : null;
  check(
    "maxP95DeltaMs",
    p95Delta,
    guard.maxP95DeltaMs,
    lg.p95,
    (v) =>
      `new p95 ${millis(nw.p95!)} is ${millis(v)} slower than legacy's ${millis(lg.p95!)} over ${w} (n=${count(nw.requests)} new, ${count(lg.requests)} legacy); maxP95DeltaMs is ${millis(guard.maxP95DeltaMs!)}`,
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
      summary: `Not enough legacy traffic to compare against: ${count(lg.requests)} of ${count(guard.minRequests)} requests needed in ${w}.`,
    };
  }
  const facts = [`new error rate ${rate(nw.errorRate ?? 0)}`, nw.p95 !== null ? `p95 ${millis(nw.p95)}` : null, `n=${count(nw.requests)}`].filter(Boolean).join(", ");
  const legacyFacts = lg.requests ? `legacy ${rate(lg.errorRate ?? 0)}${lg.p95 !== null ? `, p95 ${millis(lg.p95)}` : ""}, n=${count(lg.requests)}` : "no legacy traffic";
  const skippedNote = skipped.length ? ` (not checked for lack of legacy traffic: ${skipped.join(", ")})` : "";
  return { ...base, status: "healthy", skipped, summary: `Within limits over ${w}: ${facts}; ${legacyFacts}${skippedNote}.` };
}
