/**
 * Field-level differences between two rollout configs, as an operator reads them before applying:
 * `percent: 10 → 25`, `allowlist.new: +2 (qa-anna, qa-ben)`. Pure.
 */
import type { RolloutList, RolloutView } from "../contracts/admin-wire";
import { type RolloutConfig, sourceLabel } from "../contracts/rollout";
import { type ConditionText, describeCondition, describeRule, type RuleText } from "../contracts/rule-text";

/** Lists longer than this are summarized ("and 1,204 more"). */
const LIST_PREVIEW = 5;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

function show(value: unknown): string {
  return value === undefined ? "(unset)" : JSON.stringify(value);
}

function preview(list: string[]): string {
  const shown = list.slice(0, LIST_PREVIEW).join(", ");
  return list.length > LIST_PREVIEW ? `${shown} and ${(list.length - LIST_PREVIEW).toLocaleString("en-US")} more` : shown;
}

/** `after`'s keys, with keys only `before` has slotted in after their predecessor there (both are in schema order). */
function mergeKeys(before: string[], after: string[]): string[] {
  const keys = [...after];
  before.forEach((key, i) => {
    if (keys.includes(key)) return;
    const previous = before
      .slice(0, i)
      .reverse()
      .find((k) => keys.includes(k));
    keys.splice(previous === undefined ? 0 : keys.indexOf(previous) + 1, 0, key);
  });
  return keys;
}

const isRuleList = (v: unknown): v is RuleText[] => Array.isArray(v) && v.every((r) => isObject(r) && typeof r.name === "string" && Array.isArray(r.when));
const isConditionList = (v: unknown): v is ConditionText[] => Array.isArray(v) && v.every(isObject);

/** Targeting rules by name: `rules: +canary (…)`, `rules: -old (…)`, `rules.beta: <before> → <after>`, a new order. */
function diffRules(before: RuleText[], after: RuleText[], path: string): string[] {
  const was = new Map(before.map((r) => [r.name, r]));
  const now = new Map(after.map((r) => [r.name, r]));
  const lines: string[] = [];
  for (const rule of after) {
    const old = was.get(rule.name);
    if (!old) lines.push(`${path}: +${describeRule(rule)}`);
    else if (JSON.stringify(old) !== JSON.stringify(rule)) lines.push(`${path}.${rule.name}: ${describeRule(old)} → ${describeRule(rule)}`);
  }
  for (const rule of before) if (!now.has(rule.name)) lines.push(`${path}: -${describeRule(rule)}`);
  const order = (rules: RuleText[]) => rules.filter((r) => was.has(r.name) && now.has(r.name)).map((r) => r.name);
  if (order(before).join() !== order(after).join()) lines.push(`${path}: order ${order(before).join(", ")} → ${order(after).join(", ")} (the first that matches decides)`);
  return lines;
}

/**
 * One line per changed field, in the schema's order. Objects are walked; lists of strings (allowlists, hosts, path prefixes) show added
 * and removed entries; targeting rules are compared by name and conditions read as text; anything else shows `before → after`.
 * Equal configs give no lines.
 */
export function diffConfig(before: unknown, after: unknown, path = ""): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const last = path.split(".").at(-1);
  if (last === "rules" && (before === undefined || isRuleList(before)) && (after === undefined || isRuleList(after))) return diffRules(before ?? [], after ?? [], path);
  if (last === "when" && isConditionList(before) && isConditionList(after))
    return [`${path}: ${before.map(describeCondition).join(" and ")} → ${after.map(describeCondition).join(" and ")}`];
  if (isObject(before) && isObject(after)) {
    return mergeKeys(Object.keys(before), Object.keys(after)).flatMap((k) => diffConfig(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (isStringList(before) && isStringList(after)) {
    const was = new Set(before);
    const now = new Set(after);
    const added = [...now].filter((v) => !was.has(v));
    const removed = [...was].filter((v) => !now.has(v));
    if (!added.length && !removed.length) return [`${path}: reordered ${show(before)} → ${show(after)}`];
    const parts = [];
    if (added.length) parts.push(`+${added.length.toLocaleString("en-US")} (${preview(added)})`);
    if (removed.length) parts.push(`-${removed.length.toLocaleString("en-US")} (${preview(removed)})`);
    return [`${path}: ${parts.join(" ")}`];
  }
  return [`${path}: ${show(before)} → ${show(after)}`];
}

/** A rollout config in a few readable lines (for creates and `status <id>`). */
export function describeConfig(config: RolloutConfig): string[] {
  const sources = config.stickiness.map((s) => sourceLabel(s).replace(":", " "));
  const lines = [
    `percent     ${config.percent}% on new`,
    `match       ${config.match.hosts.length ? config.match.hosts.join(", ") : "any host"}, ${config.match.pathPrefixes.join(", ")}`,
    `legacy      ${config.origins.legacy}`,
    `new         ${config.origins.new}`,
    `stickiness  ${[...sources, "the anonymous cookie"].join(", then ")}`,
    `salt        ${config.salt ?? `${config.id} (the id)`}`,
  ];
  if (config.allowlist.new.length || config.allowlist.legacy.length) {
    lines.push(`allowlist   ${config.allowlist.new.length.toLocaleString("en-US")} pinned to new, ${config.allowlist.legacy.length.toLocaleString("en-US")} to legacy`);
  }
  if (config.guard) lines.push(`guard       ${JSON.stringify(config.guard)}`);
  for (const [i, rule] of (config.rules ?? []).entries()) lines.push(`${i === 0 ? "rules      " : "           "} ${i + 1}. ${describeRule(rule)}`);
  if (config.stages) lines.push(`stages      ${config.stages.map((s) => `${s.percent}% for ${s.holdSeconds} s`).join(" → ")}`);
  if (!config.retryOnLegacy) lines.push("retry       off: failed requests to new are not retried on legacy");
  if (config.description) lines.push(`about       ${config.description}`);
  return lines;
}

/** One rollout compared across two environments. */
export interface RolloutDifference {
  id: string;
  /** `only-here`: only the environment being compared has it; `only-there`: only the one compared with. */
  kind: "same" | "differs" | "only-here" | "only-there";
  /** For `differs`: diffConfig's lines, from there to here. */
  changes: string[];
}

export interface EnvironmentsDiff {
  equal: boolean;
  /** `global kill switch: on → off` when only one side has it on. */
  globalKill: string | undefined;
  rollouts: RolloutDifference[];
}

/**
 * What applying `here`'s rollouts to `there` would change (e.g. here = staging, there =
 * production): each rollout in `here`'s order, then those only `there` has; `only` keeps one id.
 */
export function diffEnvironments(here: RolloutList, there: RolloutList, only?: string): EnvironmentsDiff {
  const keep = (r: RolloutView) => only === undefined || r.id === only;
  const theirs = new Map(there.rollouts.filter(keep).map((r) => [r.id, r]));
  const rollouts: RolloutDifference[] = here.rollouts.filter(keep).map((mine) => {
    const other = theirs.get(mine.id);
    theirs.delete(mine.id);
    if (!other) return { id: mine.id, kind: "only-here", changes: [] };
    const changes = diffConfig(other.config, mine.config);
    return { id: mine.id, kind: changes.length ? "differs" : "same", changes };
  });
  for (const id of theirs.keys()) rollouts.push({ id, kind: "only-there", changes: [] });
  const onOff = (killed: boolean) => (killed ? "on" : "off");
  const globalKill = here.globalKill.killed === there.globalKill.killed ? undefined : `global kill switch: ${onOff(there.globalKill.killed)} → ${onOff(here.globalKill.killed)}`;
  return { equal: globalKill === undefined && rollouts.every((r) => r.kind === "same"), globalKill, rollouts };
}

/** A segment in a few lines (for creates). */
export function describeSegment(segment: { description?: string; when: readonly ConditionText[] }): string[] {
  return [`when        ${segment.when.map(describeCondition).join(" and ")}`, ...(segment.description ? [`about       ${segment.description}`] : [])];
}
