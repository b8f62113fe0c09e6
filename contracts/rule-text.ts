/**
 * Targeting rules as an operator reads them, one line each: `canary: header canary = "true" → new`.
 * Shared by the CLI (status, apply's diff, bucket) and the dashboard, so it imports nothing (no
 * zod: the dashboard bundles it). The types are the structural shape of contracts/rules.ts's.
 */

/** A condition's members (exactly one subject and at most one operator; see contracts/rules.ts). */
export interface ConditionText {
  header?: string;
  cookie?: string;
  query?: string;
  country?: readonly string[];
  colo?: readonly string[];
  claim?: string;
  segment?: string;
  equals?: string | number | boolean;
  in?: readonly string[];
  present?: boolean;
}

export interface RuleText {
  name: string;
  when: readonly ConditionText[];
  variant?: "new" | "legacy";
  percent?: number;
}

/** Lists longer than this show their first few and a count. */
const SHOWN_VALUES = 5;

function values(list: readonly string[], quote: boolean): string {
  const shown = list.slice(0, SHOWN_VALUES).map((v) => (quote ? JSON.stringify(v) : v));
  return list.length > SHOWN_VALUES ? `${shown.join(", ")} and ${list.length - SHOWN_VALUES} more` : shown.join(", ");
}

/** `header canary = "true"`, `cookie plan in ("pro", "team")`, `country in (DE, AT)`, `segment beta-testers`. */
export function describeCondition(c: ConditionText): string {
  if (c.segment !== undefined) return `segment ${c.segment}`;
  if (c.country !== undefined) return `country in (${values(c.country, false)})`;
  if (c.colo !== undefined) return `colo in (${values(c.colo, false)})`;
  const subject =
    c.header !== undefined ? `header ${c.header}` : c.cookie !== undefined ? `cookie ${c.cookie}` : c.query !== undefined ? `query ${c.query}` : `verified claim ${c.claim ?? "?"}`;
  if (c.present) return `${subject} present`;
  if (c.in !== undefined) return `${subject} in (${values(c.in, true)})`;
  return `${subject} = ${JSON.stringify(c.equals)}`;
}

/** What the rule does: `→ new`, `→ 50% on new`. */
export function ruleOutcome(rule: RuleText): string {
  return rule.variant !== undefined ? `→ ${rule.variant}` : `→ ${rule.percent}% on new`;
}

/** `canary: header canary = "true" and country in (DE) → new` */
export function describeRule(rule: RuleText): string {
  return `${rule.name}: ${rule.when.map(describeCondition).join(" and ")} ${ruleOutcome(rule)}`;
}
