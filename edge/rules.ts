/**
 * Targeting rules on the hot path. A rollout's rules are compiled once per config version (from
 * ./match.ts): each condition becomes a small predicate closure, segments are inlined into the
 * rules that use them, header names are already lowercase (contracts/http-names.ts), `in`,
 * `country` and `colo` lists become Sets. Per request only the predicates run, in order, reading
 * what they need through {@link RequestFacts} (./request-facts.ts reads a request lazily; OFREP
 * reads an evaluation context). Pure: no I/O, no clock, nothing allocated per evaluation.
 */
import type { Identity, RuleReason, Variant } from "../contracts/decision";
import { thresholdOf } from "../contracts/hash";
import type { Condition, Rule, SnapshotSegment } from "../contracts/rules";

/** What rules read about a request: each `null` when absent. Implementations read lazily. */
export interface RequestFacts {
  /** A header's value; `name` is lowercase. */
  header(name: string): string | null;
  cookie(name: string): string | null;
  /** A query parameter's first value (decoded). */
  query(name: string): string | null;
  /** ISO 3166-1 alpha-2, as `request.cf.country`. */
  country(): string | null;
  /** The data center's IATA code, as `request.cf.colo`. */
  colo(): string | null;
}

/** One compiled condition: whether it holds for this request and user. */
export type Test = (facts: RequestFacts, identity: Identity) => boolean;

/** A rule ready for the hot path. */
export interface CompiledRule {
  name: string;
  /** `rule:<name>`, built once here so that a decision allocates no string. */
  reason: RuleReason;
  /** Every condition, segments inlined: all must hold. */
  tests: readonly Test[];
  /** The variant everyone matched gets; undefined for a percentage rule. */
  variant: Variant | undefined;
  /** A percentage rule's threshold in buckets (matched users whose bucket is below it go to new). */
  threshold: number;
}

/** No rules: shared, so that a rollout without rules costs one length check. */
export const NO_RULES: readonly CompiledRule[] = Object.freeze([]);

const NEVER: Test = () => false;

/** A header, cookie or query condition: `equals`, `in` or `present` on the value `read` yields. */
function compare(read: (facts: RequestFacts, name: string) => string | null, name: string, c: Condition): Test {
  if (c.present) return (facts) => read(facts, name) !== null;
  if (c.in !== undefined) {
    const allowed = new Set(c.in);
    return (facts) => {
      const value = read(facts, name);
      return value !== null && allowed.has(value);
    };
  }
  const want = c.equals;
  return (facts) => read(facts, name) === want;
}

/** A claim of a verified identity equals the value (or, for a list claim such as `groups`, contains it). */
function claimEquals(name: string, want: string | number | boolean | undefined): Test {
  return (_facts, identity) => {
    const claims = identity.verified ? identity.claims : undefined;
    if (!claims || !Object.hasOwn(claims, name)) return false;
    const value = claims[name];
    return value === want || (Array.isArray(value) && value.includes(want));
  };
}

function inSet(read: (facts: RequestFacts) => string | null, list: readonly string[]): Test {
  const allowed = new Set(list);
  return (facts) => {
    const value = read(facts);
    return value !== null && allowed.has(value);
  };
}

const readHeader = (facts: RequestFacts, name: string) => facts.header(name);
const readCookie = (facts: RequestFacts, name: string) => facts.cookie(name);
const readQuery = (facts: RequestFacts, name: string) => facts.query(name);
const readCountry = (facts: RequestFacts) => facts.country();
const readColo = (facts: RequestFacts) => facts.colo();

/**
 * The tests of one condition: one, or a segment's (inlined). A segment the snapshot does not hold
 * (the control plane refuses such writes, so only a snapshot from mid-change could) never matches:
 * a rule that cannot be evaluated does not apply.
 */
function compileCondition(c: Condition, segments: ReadonlyMap<string, SnapshotSegment>, out: Test[]): void {
  if (c.segment !== undefined) {
    const segment = segments.get(c.segment);
    if (!segment) out.push(NEVER);
    // A segment cannot name another segment (contracts/rules.ts), so this never recurses further.
    else for (const inner of segment.when) if (inner.segment === undefined) compileCondition(inner, segments, out);
    return;
  }
  if (c.header !== undefined) out.push(compare(readHeader, c.header, c));
  else if (c.cookie !== undefined) out.push(compare(readCookie, c.cookie, c));
  else if (c.query !== undefined) out.push(compare(readQuery, c.query, c));
  else if (c.country !== undefined) out.push(inSet(readCountry, c.country));
  else if (c.colo !== undefined) out.push(inSet(readColo, c.colo));
  else if (c.claim !== undefined) out.push(claimEquals(c.claim, c.equals));
  else out.push(NEVER);
}

/** A rollout's rules, compiled (once per config version). */
export function compileRules(rules: readonly Rule[] | undefined, segments: ReadonlyMap<string, SnapshotSegment>): readonly CompiledRule[] {
  if (!rules?.length) return NO_RULES;
  return rules.map((rule) => {
    const tests: Test[] = [];
    for (const c of rule.when) compileCondition(c, segments, tests);
    return { name: rule.name, reason: `rule:${rule.name}` as const, tests, variant: rule.variant, threshold: rule.percent === undefined ? 0 : thresholdOf(rule.percent) };
  });
}

/** The first rule whose tests all hold, or undefined. */
export function matchingRule(rules: readonly CompiledRule[], facts: RequestFacts, identity: Identity): CompiledRule | undefined {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const tests = rule.tests;
    let holds = true;
    for (let j = 0; j < tests.length && holds; j++) holds = tests[j]!(facts, identity);
    if (holds) return rule;
  }
  return undefined;
}
