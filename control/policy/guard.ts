/**
 * Guards: limits on the new variant's health over a window, and the verdict with the numbers
 * behind it. Pure: the caller passes in the summary of the window.
 */
import { DEFAULT_MIN_USERS, RATIO_LIMITS, type Breach, type GuardConfig, type LimitName, type Verdict } from "../../contracts/guard";
import { count, millis, rate } from "../../contracts/format";
import type { HealthSummary, VariantSummary } from "../../contracts/health";

export type { Breach, GuardConfig, LimitName, Verdict } from "../../contracts/guard";

const LIMITS: readonly LimitName[] = ["maxErrorRate", "maxErrorRateDelta", "maxP95Ms", "maxP99Ms", "maxP95DeltaMs"];

/** "1 user", "1,204 users". */
function people(n: number, one = "user", many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** What new's numbers rest on: `n=200, 37 users` (and who saw errors, for error rates). */
function newBasis(guard: GuardConfig, nw: VariantSummary, errors: boolean): string {
  const basis = `n=${count(nw.requests)}, ${people(nw.users)}`;
  if (!errors) return basis;
  const addresses = guard.minClientIps !== undefined ? `, ${people(nw.errorIps, "address", "addresses")}` : "";
  return `${basis}, errors from ${people(nw.errorUsers)}${addresses}`;
}

/**
 * Why errors come from too few sources to breach a ratio limit, or undefined when enough users
 * (and addresses, if the guard asks for them) saw errors.
 */
function tooFewSources(guard: GuardConfig, nw: VariantSummary): string | undefined {
  const minUsers = guard.minUsers ?? DEFAULT_MIN_USERS;
  const short: string[] = [];
  if (nw.errorUsers < minUsers) short.push(`errors came from only ${people(nw.errorUsers)} (minUsers is ${count(minUsers)})`);
  if (guard.minClientIps !== undefined && nw.errorIps < guard.minClientIps) {
    short.push(`from only ${people(nw.errorIps, "client address", "client addresses")} (minClientIps is ${count(guard.minClientIps)})`);
  }
  return short.length ? short.join(" and ") : undefined;
}

/** Every configured limit checked against the window: exceeded ones, and ones without data. */
function checkLimits(guard: GuardConfig, summary: HealthSummary): { breaches: Breach[]; skipped: LimitName[] } {
  const w = `${summary.windowSeconds} s`;
  const nw = summary.new;
  const lg = summary.legacy;
  const legacyEnough = lg.requests >= guard.minRequests;
  const legacyNote = (value: string) => (lg.requests ? `legacy ${value}, n=${count(lg.requests)}` : "no legacy traffic");
  const breaches: Breach[] = [];
  const skipped: LimitName[] = [];
  const check = (limit: LimitName, value: number | null, baseline: number | null, sentence: (v: number, threshold: number) => string) => {
    const threshold = guard[limit];
    if (threshold === undefined) return;
    if (value === null) skipped.push(limit);
    else if (value > threshold) breaches.push({ limit, threshold, value, baseline, sentence: sentence(value, threshold) });
  };
  const errorBasis = newBasis(guard, nw, true);
  const latencyBasis = newBasis(guard, nw, false);

  check(
    "maxErrorRate",
    nw.errorRate,
    lg.errorRate,
    (v, t) => `new error rate ${rate(v)} over ${w} (${errorBasis}) exceeds maxErrorRate ${rate(t)} (${legacyNote(rate(lg.errorRate ?? 0))})`,
  );
  check("maxP95Ms", nw.p95, lg.p95, (v, t) => `new p95 ${millis(v)} over ${w} (${latencyBasis}) exceeds maxP95Ms ${millis(t)} (${legacyNote(millis(lg.p95))})`);
  check("maxP99Ms", nw.p99, lg.p99, (v, t) => `new p99 ${millis(v)} over ${w} (${latencyBasis}) exceeds maxP99Ms ${millis(t)} (${legacyNote(millis(lg.p99))})`);
  const errorDelta = legacyEnough && nw.errorRate !== null && lg.errorRate !== null ? nw.errorRate - lg.errorRate : null;
  check(
    "maxErrorRateDelta",
    errorDelta,
    lg.errorRate,
    (v, t) =>
      `new error rate ${rate(nw.errorRate!)} is ${rate(v)} above legacy's ${rate(lg.errorRate!)} over ${w} (${errorBasis}; n=${count(lg.requests)} legacy); maxErrorRateDelta is ${rate(t)}`,
  );
  const p95Delta = legacyEnough && nw.p95 !== null && lg.p95 !== null ? nw.p95 - lg.p95 : null;
  check(
    "maxP95DeltaMs",
    p95Delta,
    lg.p95,
    (v, t) =>
      `new p95 ${millis(nw.p95!)} is ${millis(v)} slower than legacy's ${millis(lg.p95!)} over ${w} (${latencyBasis}; n=${count(lg.requests)} legacy); maxP95DeltaMs is ${millis(t)}`,
  );
  return { breaches, skipped };
}

/** Evaluates `guard` over a window's summary. */
export function evaluateGuard(guard: GuardConfig | undefined, summary: HealthSummary): Verdict {
  const nw = summary.new;
  const lg = summary.legacy;
  const samples = { legacy: lg.requests, new: nw.requests };
  const base = {
    windowSeconds: summary.windowSeconds,
    samples,
    users: { legacy: lg.users, new: nw.users },
    breaches: [] as Breach[],
    skipped: [] as LimitName[],
    unconfirmed: [] as LimitName[],
  };
  if (!guard) return { ...base, status: "no-guard", summary: "No guard configured." };
  const w = `${summary.windowSeconds} s`;
  if (samples.new < guard.minRequests) {
    return { ...base, status: "inconclusive", summary: `Not enough traffic on new to judge: ${count(samples.new)} of ${count(guard.minRequests)} requests needed in ${w}.` };
  }
  const minUsers = guard.minUsers ?? DEFAULT_MIN_USERS;
  if (nw.users < minUsers) {
    return {
      ...base,
      status: "inconclusive",
      summary: `Not enough users on new to judge: ${count(nw.users)} of ${count(minUsers)} distinct users needed in ${w} (n=${count(nw.requests)}).`,
    };
  }
  const { breaches, skipped } = checkLimits(guard, summary);
  // One client can push an error rate on its own: a ratio limit needs errors from several sources.
  const shortfall = tooFewSources(guard, nw);
  const held = shortfall ? breaches.filter((b) => RATIO_LIMITS.includes(b.limit)) : [];
  const confirmed = breaches.filter((b) => !held.includes(b));
  const unconfirmed = held.map((b) => b.limit);
  if (confirmed.length) {
    return { ...base, status: "breach", breaches: confirmed, skipped, unconfirmed, summary: `${confirmed.map((b) => b.sentence).join("; ")}.` };
  }
  if (held.length) {
    const said = held.map((b) => b.sentence).join("; ");
    return { ...base, status: "inconclusive", skipped, unconfirmed, summary: `${said}, but ${shortfall}: not a breach until errors come from more users.` };
  }
  return withinLimits(guard, summary, base, skipped);
}

/** The verdict when nothing was exceeded: healthy, or inconclusive if no limit could be checked. */
function withinLimits(guard: GuardConfig, summary: HealthSummary, base: Omit<Verdict, "status" | "summary">, skipped: LimitName[]): Verdict {
  const nw = summary.new;
  const lg = summary.legacy;
  const w = `${summary.windowSeconds} s`;
  const checked = LIMITS.filter((l) => guard[l] !== undefined && !skipped.includes(l));
  if (checked.length === 0 && skipped.length > 0) {
    return {
      ...base,
      status: "inconclusive",
      skipped,
      summary: `Not enough legacy traffic to compare against: ${count(lg.requests)} of ${count(guard.minRequests)} requests needed in ${w}.`,
    };
  }
  const facts = [`new error rate ${rate(nw.errorRate ?? 0)}`, nw.p95 !== null ? `p95 ${millis(nw.p95)}` : null, `n=${count(nw.requests)}`, people(nw.users)]
    .filter(Boolean)
    .join(", ");
  const legacyFacts = lg.requests ? `legacy ${rate(lg.errorRate ?? 0)}${lg.p95 !== null ? `, p95 ${millis(lg.p95)}` : ""}, n=${count(lg.requests)}` : "no legacy traffic";
  const skippedNote = skipped.length ? ` (not checked for lack of legacy traffic: ${skipped.join(", ")})` : "";
  return { ...base, status: "healthy", skipped, summary: `Within limits over ${w}: ${facts}; ${legacyFacts}${skippedNote}.` };
}
