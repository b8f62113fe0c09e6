/**
 * Targeting rules and segments: the zod schemas of a rollout's `rules` and of a segment's body.
 * What a condition reads and how it is evaluated is edge/rules.ts; here only what may be written.
 * No I/O.
 *
 * A condition tests one thing (its *subject*) with one operator:
 * - `{ "header" | "cookie" | "query": NAME, "equals": V }`, `… "in": [V, …]`, `… "present": true`:
 *   the client's word (fine to route a beta cohort, never a security boundary);
 * - `{ "country": [CC, …] }`, `{ "colo": [IATA, …] }`: where Cloudflare saw the request (`request.cf`);
 * - `{ "claim": C, "equals": V }`: a claim of a *verified* identity (a JWT whose signature checked);
 * - `{ "segment": NAME }`: every condition of a named segment.
 */
import { ClaimName } from "./identity";
import { CookieName, HeaderName } from "./http-names";
import { Percent } from "./percent";
import * as z from "./zod";

/** Most rules one rollout may list (the first that matches decides). */
export const MAX_RULES = 50;
/** Most conditions one rule or segment may list (all must hold). */
export const MAX_CONDITIONS = 20;
/** Most values one `in`, `country` or `colo` list may hold. */
export const MAX_LIST_VALUES = 1000;
/** Longest value a condition compares with. */
export const MAX_VALUE_LENGTH = 1024;
/** Most segments the control plane keeps. */
export const MAX_SEGMENTS = 200;

const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;
const SLUG_MESSAGE = "must be a slug: lowercase letters, digits and '-', 1-64 characters, not starting with '-'";

/** A rule's name: a slug, unique within its rollout; it shows as the reason `rule:<name>`. */
export const RuleName = z.string().check(z.regex(SLUG, SLUG_MESSAGE));

/** A segment's name: a slug, as in `PUT /segments/beta-testers`. */
export const SegmentName = z.string().check(z.regex(SLUG, SLUG_MESSAGE));

/** A query parameter's name, as it appears (decoded) in the URL; case-sensitive. */
const QueryName = z.string().check(z.minLength(1, "must name a query parameter"), z.maxLength(256, "must be at most 256 characters"));

const Value = z.string().check(z.maxLength(MAX_VALUE_LENGTH, `must be at most ${MAX_VALUE_LENGTH} characters`));

function list<T extends z.ZodMiniType>(item: T, what: string) {
  return z.array(item).check(z.minLength(1, `needs at least one ${what}`), z.maxLength(MAX_LIST_VALUES, `may list at most ${MAX_LIST_VALUES} values`));
}

/** ISO 3166-1 alpha-2 as Cloudflare reports it in `request.cf.country` (plus `T1` for Tor and `XX` for unknown). */
const CountryCode = z.string().check(z.regex(/^[A-Z][A-Z0-9]$/, "must be a two-letter country code in upper case as Cloudflare reports it, e.g. DE or US (T1: Tor, XX: unknown)"));

/** A Cloudflare data center's IATA airport code, as in `request.cf.colo`. */
const ColoCode = z.string().check(z.regex(/^[A-Z]{3}$/, "must be a data center's three-letter IATA code in upper case, e.g. FRA"));

/** The members that name what a condition tests. */
export const SUBJECTS = ["header", "cookie", "query", "country", "colo", "claim", "segment"] as const;
export type Subject = (typeof SUBJECTS)[number];
/** The members that say how a header, cookie, query parameter or claim is compared. */
const OPERATORS = ["equals", "in", "present"] as const;

/** Which operators each subject takes (country, colo and segment take none: the subject says it all). */
const OPERATORS_OF: Record<Subject, readonly (typeof OPERATORS)[number][]> = {
  header: OPERATORS,
  cookie: OPERATORS,
  query: OPERATORS,
  claim: ["equals"],
  country: [],
  colo: [],
  segment: [],
};

const ConditionShape = z.strictObject({
  header: z.optional(HeaderName),
  cookie: z.optional(CookieName),
  query: z.optional(QueryName),
  country: z.optional(list(CountryCode, "country code")),
  colo: z.optional(list(ColoCode, "data center")),
  claim: z.optional(ClaimName),
  segment: z.optional(SegmentName),
  /** A string for headers, cookies and query parameters; a string, number or boolean for claims. */
  equals: z.optional(z.union([Value, z.number(), z.boolean()])),
  in: z.optional(list(Value, "value")),
  present: z.optional(z.literal(true, 'must be true (a condition tests what is there; "present": false is not supported)')),
});

type ConditionFields = z.infer<typeof ConditionShape>;

/** Why a condition's members do not fit together: exactly one subject, and the operator it takes. */
function shapeProblem(c: ConditionFields): { path: string[]; message: string } | undefined {
  const subjects = SUBJECTS.filter((s) => c[s] !== undefined);
  if (subjects.length === 0) return { path: [], message: `names nothing to test: give one of ${SUBJECTS.join(", ")}` };
  if (subjects.length > 1)
    return {
      path: [subjects[1]!],
      message: `a condition tests one thing, and this one names ${subjects.join(" and ")}: write one condition for each (all of a rule's conditions must hold)`,
    };
  const subject = subjects[0]!;
  const allowed = OPERATORS_OF[subject];
  const given = OPERATORS.filter((o) => c[o] !== undefined);
  const stray = given.find((o) => !allowed.includes(o));
  if (stray)
    return { path: [stray], message: allowed.length ? `does not apply to ${subject}: use ${allowed.join(" or ")}` : `does not apply to ${subject}, which needs no operator` };
  if (allowed.length && given.length === 0) return { path: [], message: `says which ${subject} to test but not how: add ${allowed.map((o) => `"${o}"`).join(", ")}` };
  if (given.length > 1) return { path: [given[1]!], message: `a condition compares one way: use only one of ${given.join(", ")}` };
  if (subject !== "claim" && c.equals !== undefined && typeof c.equals !== "string")
    return { path: ["equals"], message: `must be a string: a ${subject} is text (write "${String(c.equals)}")` };
  return undefined;
}

/**
 * One condition of a rule or segment.
 *
 * @example { "header": "canary", "equals": "true" }
 * @example { "country": ["DE", "AT", "CH"] }
 * @example { "claim": "beta_tester", "equals": true }
 */
export const ConditionSchema = ConditionShape.check(
  z.superRefine((c, ctx) => {
    const problem = shapeProblem(c);
    if (problem) ctx.issues.push({ code: "custom", path: problem.path, message: problem.message, input: c });
  }),
);

export type Condition = z.infer<typeof ConditionSchema>;

const Conditions = z
  .array(ConditionSchema)
  .check(
    z.minLength(1, "needs at least one condition (a rule for everyone is the rollout's percent)"),
    z.maxLength(MAX_CONDITIONS, `may list at most ${MAX_CONDITIONS} conditions`),
  );

/**
 * A targeting rule: when every condition holds, the rule decides, either a variant or a percentage
 * of the matching users (bucketed with the rollout's own hash and salt, so as sticky and monotonic
 * as the rollout's percent).
 *
 * @example { "name": "canary-header", "when": [{ "header": "canary", "equals": "true" }], "variant": "new" }
 * @example { "name": "beta-half", "when": [{ "segment": "beta-testers" }], "percent": 50 }
 */
export const RuleSchema = z
  .strictObject({
    name: RuleName,
    when: Conditions,
    /** Everyone the rule matches goes to this variant. */
    variant: z.optional(z.enum(["new", "legacy"], 'must be "new" or "legacy"')),
    /** This share of the users the rule matches goes to new (0-100 in steps of 0.01). */
    percent: z.optional(Percent),
  })
  .check(
    z.superRefine((rule, ctx) => {
      if ((rule.variant === undefined) === (rule.percent === undefined))
        ctx.issues.push({
          code: "custom",
          path: rule.variant === undefined ? [] : ["percent"],
          message: 'must say what the rule does: either "variant" ("new" or "legacy") or "percent", not both',
          input: rule,
        });
    }),
  );

export type Rule = z.infer<typeof RuleSchema>;

/** A rollout's rules, in order: the first whose conditions all hold decides. */
export const RulesSchema = z.array(RuleSchema).check(
  z.maxLength(MAX_RULES, `may list at most ${MAX_RULES} rules`),
  z.superRefine((rules, ctx) => {
    rules.forEach((rule, i) => {
      if (rules.findIndex((r) => r.name === rule.name) !== i)
        ctx.issues.push({
          code: "custom",
          path: [i, "name"],
          message: `"${rule.name}" names an earlier rule too: rule names are unique (they show as rule:<name>)`,
          input: rule.name,
        });
    });
  }),
);

/**
 * The body of `PUT /segments/:name`: a named set of conditions that rules use with
 * `{ "segment": NAME }`. A segment cannot use another segment (so there are no cycles to untangle).
 *
 * @example { "description": "Opted-in beta testers", "when": [{ "claim": "beta_tester", "equals": true }] }
 */
export const SegmentBodySchema = z.strictObject({
  /** May be left out (the URL names the segment); when given, must equal the URL's. */
  name: z.optional(SegmentName),
  description: z.optional(z.string().check(z.maxLength(500))),
  when: Conditions.check(
    z.superRefine((conditions, ctx) => {
      conditions.forEach((c, i) => {
        if (c.segment !== undefined)
          ctx.issues.push({ code: "custom", path: [i, "segment"], message: "a segment cannot use another segment: list that segment's conditions here instead", input: c.segment });
      });
    }),
  ),
});

/** A segment as the control plane stores it and the admin API shows it. */
export interface StoredSegment {
  name: string;
  description?: string;
  when: Condition[];
  /** The config version of its last change (also its ETag). */
  version: number;
  updatedAt: string;
  updatedBy: string;
}

/** What an isolate needs of a segment: its name and conditions. */
export interface SnapshotSegment {
  name: string;
  when: Condition[];
}

/** Where each `{ "segment": NAME }` of `rules` sits: the rule's and the condition's index. */
export function segmentReferences(rules: readonly Rule[] | undefined): { rule: number; condition: number; segment: string }[] {
  const refs: { rule: number; condition: number; segment: string }[] = [];
  rules?.forEach((rule, i) => {
    rule.when.forEach((c, j) => {
      if (c.segment !== undefined) refs.push({ rule: i, condition: j, segment: c.segment });
    });
  });
  return refs;
}
