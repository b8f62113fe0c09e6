/**
 * Guards: limits on the new variant's health over a window, and the verdict with the numbers
 * behind it, plus the `warn` limits it only reports. Pure: the caller passes in the summary of the
 * window. Each limit's measure and sentence is in ./guard-limits.ts.
 */
import { DEFAULT_MIN_USERS, isErrorRateLimit, type Breach, type GuardConfig, type LimitName, type Verdict } from "../../contracts/guard";
import { count, millis, rate } from "../../contracts/format";
import type { HealthSummary, VariantSummary } from "../../contracts/health";
import type { ShadowTotals } from "../../contracts/shadow-stats";
import { CHECK_ORDER, checkLimits, people } from "./guard-limits";
import { NO_COMPARISONS, withMismatchLimit } from "./guard-shadow";

export type { Breach, GuardConfig, LimitName, Verdict } from "../../contracts/guard";

/**
 * Why errors come from too few sources to breach an error-rate limit, or undefined when enough
 * users (and addresses, if the guard asks for them) saw errors.
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

/**
 * The `warn` limits exceeded. An error-rate warning needs errors from as many sources as a
 * breach does: a warning one client can trigger would teach people to ignore warnings.
 */
function warningsOf(guard: GuardConfig, summary: HealthSummary): Breach[] {
  if (!guard.warn) return [];
  const { breaches } = checkLimits(guard, guard.warn, summary, "warn.");
  if (!tooFewSources(guard, summary.new)) return breaches;
  return breaches.filter((b) => !isErrorRateLimit(b.limit));
}

/**
 * Evaluates `guard` over a window's summary and, when it sets `maxMismatchRate`, the shadow
 * comparisons of the same window (./guard-shadow.ts).
 */
export function evaluateGuard(guard: GuardConfig | undefined, summary: HealthSummary, shadow: ShadowTotals = NO_COMPARISONS): Verdict {
  return withMismatchLimit(guard, evaluateHealth(guard, summary), shadow);
}

/** The verdict of the health limits alone. */
function evaluateHealth(guard: GuardConfig | undefined, summary: HealthSummary): Verdict {
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
    warnings: [] as Breach[],
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
  const { breaches, skipped } = checkLimits(guard, guard, summary);
  const judged = { ...base, skipped, warnings: warningsOf(guard, summary) };
  // One client can push an error rate on its own: an error-rate limit needs errors from several sources.
  const shortfall = tooFewSources(guard, nw);
  const held = shortfall ? breaches.filter((b) => isErrorRateLimit(b.limit)) : [];
  const confirmed = breaches.filter((b) => !held.includes(b));
  const unconfirmed = held.map((b) => b.limit);
  if (confirmed.length) {
    return { ...judged, status: "breach", breaches: confirmed, unconfirmed, summary: `${confirmed.map((b) => b.sentence).join("; ")}.` };
  }
  if (held.length) {
    const said = held.map((b) => b.sentence).join("; ");
    return { ...judged, status: "inconclusive", unconfirmed, summary: `${said}, but ${shortfall}: not a breach until errors come from more users.` };
  }
  return withinLimits(guard, summary, judged);
}

/** The verdict when nothing was exceeded: healthy, or inconclusive if no limit could be checked. */
function withinLimits(guard: GuardConfig, summary: HealthSummary, judged: Omit<Verdict, "status" | "summary">): Verdict {
  const nw = summary.new;
  const lg = summary.legacy;
  const w = `${summary.windowSeconds} s`;
  const skipped = judged.skipped;
  const checked = CHECK_ORDER.filter((l) => guard[l] !== undefined && !skipped.includes(l));
  if (checked.length === 0 && skipped.length > 0) {
    return {
      ...judged,
      status: "inconclusive",
      summary: `Not enough legacy traffic to compare against: ${count(lg.requests)} of ${count(guard.minRequests)} requests needed in ${w}.`,
    };
  }
  const facts = [`new error rate ${rate(nw.errorRate ?? 0)}`, nw.p95 !== null ? `p95 ${millis(nw.p95)}` : null, `n=${count(nw.requests)}`, people(nw.users)]
    .filter(Boolean)
    .join(", ");
  const legacyFacts = lg.requests ? `legacy ${rate(lg.errorRate ?? 0)}${lg.p95 !== null ? `, p95 ${millis(lg.p95)}` : ""}, n=${count(lg.requests)}` : "no legacy traffic";
  const skippedNote = skipped.length ? ` (not checked for lack of legacy traffic: ${skipped.join(", ")})` : "";
  return { ...judged, status: "healthy", summary: `Within limits over ${w}: ${facts}; ${legacyFacts}${skippedNote}.` };
}
