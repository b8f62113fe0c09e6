/**
 * Shadow comparison results: what each isolate accumulates, flushes to the Durable Object, and the
 * Durable Object merges and serves. Plain JSON-serialisable data (histograms revived after JSON,
 * see contracts/histogram.ts). No I/O, no clock: the caller stamps `at`.
 */
import { emptyHistogram, merge, quantile, record, revive, type Histogram } from "./histogram";

/** Mismatch examples kept per rollout (the newest by `at`). */
export const MAX_SHADOW_EXAMPLES = 20;

export type MismatchKind = "status" | "header" | "body";

/**
 * The first difference between legacy's answer and the mirror's (edge/shadow/compare.ts), or a
 * match. Values are JSON texts cut to 200 characters; `pointer` is an RFC 6901 pointer or `null`.
 */
export type Comparison = { kind: "match" } | { kind: MismatchKind; pointer: string | null; legacyValue: string | null; newValue: string | null };

/** Counts for one rollout and matched path prefix. `mirrored` = matched + mismatched + errors. */
export interface ShadowCounts {
  mirrored: number;
  matched: number;
  mismatched: number;
  /** Mirrors that got no answer (connection error, timeout): not a mismatch. */
  errors: number;
  byKind: Record<MismatchKind, number>;
  /** Latency of both answers to the same requests, in ms (mirrors with an answer only). */
  latency: { legacy: Histogram; new: Histogram };
}

/** One mismatch, as an operator reads it. `path` is the request path, without the query string. */
export interface ShadowExample {
  /** ISO 8601 time. */
  at: string;
  method: string;
  path: string;
  kind: MismatchKind;
  legacyStatus: number;
  newStatus: number;
  pointer: string | null;
  legacyValue: string | null;
  newValue: string | null;
}

export interface RolloutShadowStats {
  /** Keyed by the matched path prefix. */
  prefixes: Record<string, ShadowCounts>;
  /** Newest first, at most {@link MAX_SHADOW_EXAMPLES}. */
  examples: ShadowExample[];
}

/** Keyed by rollout id. The same shape is an isolate's accumulator, a flush, and the merged total. */
export interface ShadowStats {
  rollouts: Record<string, RolloutShadowStats>;
}
export type ShadowAccumulator = ShadowStats;
export type ShadowFlush = ShadowStats;

/** What the integrator knows about a compared mirror besides the comparison itself. */
export interface ShadowFacts {
  latencyMs: { legacy: number; new: number };
  at: string;
  method: string;
  path: string;
  legacyStatus: number;
  newStatus: number;
}

/** One mirror's outcome: no answer, or a comparison with its facts. */
export type ShadowOutcome = { kind: "error" } | (Comparison & ShadowFacts);

export function newShadowAccumulator(): ShadowAccumulator {
  return { rollouts: {} };
}

function emptyCounts(): ShadowCounts {
  return { mirrored: 0, matched: 0, mismatched: 0, errors: 0, byKind: { status: 0, header: 0, body: 0 }, latency: { legacy: emptyHistogram(), new: emptyHistogram() } };
}

// Keys are rollout ids (slugs) and path prefixes (start with "/"): never "__proto__".
function rolloutOf(stats: ShadowStats, id: string): RolloutShadowStats {
  if (!Object.hasOwn(stats.rollouts, id)) stats.rollouts[id] = { prefixes: {}, examples: [] };
  return stats.rollouts[id]!;
}

/** Newest first; ties broken by content, so that which examples survive never depends on merge order. */
function byNewest(a: ShadowExample, b: ShadowExample): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  const ka = JSON.stringify([a.method, a.path, a.kind, a.legacyStatus, a.newStatus, a.pointer, a.legacyValue, a.newValue]);
  const kb = JSON.stringify([b.method, b.path, b.kind, b.legacyStatus, b.newStatus, b.pointer, b.legacyValue, b.newValue]);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function newest(examples: ShadowExample[]): ShadowExample[] {
  return examples.sort(byNewest).slice(0, MAX_SHADOW_EXAMPLES);
}

/**
 * Counts one mirror in `acc` (in place), under `rolloutId` and the path prefix the request matched.
 *
 * @example recordShadow(acc, "checkout-v2", "/api", { ...compareResponses(l, n, cfg.compare), latencyMs, at, method, path, legacyStatus, newStatus })
 */
export function recordShadow(acc: ShadowAccumulator, rolloutId: string, prefix: string, outcome: ShadowOutcome): void {
  const rollout = rolloutOf(acc, rolloutId);
  if (!Object.hasOwn(rollout.prefixes, prefix)) rollout.prefixes[prefix] = emptyCounts();
  const counts = rollout.prefixes[prefix]!;
  counts.mirrored++;
  if (outcome.kind === "error") {
    counts.errors++;
    return;
  }
  record(counts.latency.legacy, outcome.latencyMs.legacy);
  record(counts.latency.new, outcome.latencyMs.new);
  if (outcome.kind === "match") {
    counts.matched++;
    return;
  }
  counts.mismatched++;
  counts.byKind[outcome.kind]++;
  const { at, method, path, kind, legacyStatus, newStatus, pointer, legacyValue, newValue } = outcome;
  rollout.examples = newest([...rollout.examples, { at, method, path, kind, legacyStatus, newStatus, pointer, legacyValue, newValue }]);
}

/** Everything accumulated since the last flush; `acc` starts again from empty. */
export function takeShadowFlush(acc: ShadowAccumulator): ShadowFlush {
  const flush: ShadowFlush = { rollouts: acc.rollouts };
  acc.rollouts = {};
  return flush;
}

function addCounts(a: ShadowCounts, b: ShadowCounts): ShadowCounts {
  return {
    mirrored: a.mirrored + b.mirrored,
    matched: a.matched + b.matched,
    mismatched: a.mismatched + b.mismatched,
    errors: a.errors + b.errors,
    byKind: { status: a.byKind.status + b.byKind.status, header: a.byKind.header + b.byKind.header, body: a.byKind.body + b.byKind.body },
    latency: {
      legacy: merge(revive(a.latency.legacy), revive(b.latency.legacy)),
      new: merge(revive(a.latency.new), revive(b.latency.new)),
    },
  };
}

/**
 * `into` plus `flush`, as a new object (neither input changes). Associative and commutative:
 * counts and histograms add, examples keep the newest {@link MAX_SHADOW_EXAMPLES} by `at`.
 * Either side may have been through JSON.
 */
export function mergeShadowFlush(into: ShadowStats, flush: ShadowFlush): ShadowStats {
  const out: ShadowStats = { rollouts: {} };
  for (const source of [into, flush]) {
    for (const [id, rollout] of Object.entries(source.rollouts)) {
      const target = rolloutOf(out, id);
      for (const [prefix, counts] of Object.entries(rollout.prefixes)) {
        target.prefixes[prefix] = addCounts(Object.hasOwn(target.prefixes, prefix) ? target.prefixes[prefix]! : emptyCounts(), counts);
      }
      target.examples = newest([...target.examples, ...rollout.examples]);
    }
  }
  return out;
}

/** Shadow comparisons over a window, as guards and stages judge them. */
export interface ShadowTotals {
  /** Mirrors that got an answer: matched + mismatched. */
  compared: number;
  mismatched: number;
  /** Mirrors without an answer (connection error, timeout): not comparisons. */
  errors: number;
  /** mismatched ÷ compared, or null without comparisons. */
  mismatchRate: number | null;
}

/** A rollout's comparisons summed over every path prefix. */
export function shadowTotals(stats: RolloutShadowStats | undefined): ShadowTotals {
  let matched = 0;
  let mismatched = 0;
  let errors = 0;
  for (const c of Object.values(stats?.prefixes ?? {})) {
    matched += c.matched;
    mismatched += c.mismatched;
    errors += c.errors;
  }
  const compared = matched + mismatched;
  return { compared, mismatched, errors, mismatchRate: compared > 0 ? mismatched / compared : null };
}

export interface LatencyView {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** A rollout's shadow results as the admin API serves them. */
export interface ShadowView {
  prefixes: Array<Omit<ShadowCounts, "latency"> & { prefix: string; mismatchRate: number | null; latencyMs: { legacy: LatencyView; new: LatencyView } }>;
  examples: ShadowExample[];
}

function latencyView(h: Histogram): LatencyView {
  const r = revive(h);
  return { p50: quantile(r, 0.5), p95: quantile(r, 0.95), p99: quantile(r, 0.99) };
}

/**
 * The API view of one rollout's results (prefixes sorted, examples newest first).
 * `mismatchRate` = mismatched / (matched + mismatched): errors are not answers, so they do not
 * count; `null` before the first answer.
 */
export function shadowView(stats: RolloutShadowStats | undefined): ShadowView {
  const prefixes = Object.entries(stats?.prefixes ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([prefix, c]) => {
      const answered = c.matched + c.mismatched;
      return {
        prefix,
        mirrored: c.mirrored,
        matched: c.matched,
        mismatched: c.mismatched,
        errors: c.errors,
        byKind: { ...c.byKind },
        mismatchRate: answered > 0 ? c.mismatched / answered : null,
        latencyMs: { legacy: latencyView(c.latency.legacy), new: latencyView(c.latency.new) },
      };
    });
  return { prefixes, examples: newest([...(stats?.examples ?? [])]) };
}
