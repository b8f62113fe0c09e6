/**
 * `edge-router bucket`: a user's variant computed with the edge's own compiled table and decide(),
 * so the answer is the edge's answer for the same config. Pure: a snapshot in, an explanation out.
 */
import { decide, type Reason, type Variant } from "../edge/decide";
import { isRuleReason } from "../contracts/decision";
import { BUCKET_COUNT, bucketFrom, HASH_SPEC_VERSION } from "../contracts/hash";
import { type ConfigSnapshot, sourceLabel } from "../contracts/rollout";
import { describeRule } from "../contracts/rule-text";
import { compileSnapshot } from "../edge/match";
import { NO_FACTS } from "../edge/request-facts";
import type { RequestFacts } from "../edge/rules";
import type { Colors } from "./format";

/** What targeting rules see in `edge-router bucket`: the headers and country given on the command line. */
export interface BucketRequest {
  /** Header names in lower case. */
  headers: ReadonlyMap<string, string>;
  country: string | null;
}

function requestFacts(request: BucketRequest | undefined): RequestFacts {
  if (!request) return NO_FACTS;
  return { ...NO_FACTS, header: (name) => request.headers.get(name) ?? null, country: () => request.country };
}

export interface BucketExplanation {
  rollout: string;
  user: string;
  variant: Variant;
  reason: Reason;
  /** For `killed`: `global` or `rollout`. */
  detail: string | null;
  /** The user's bucket (0-9,999), whatever decided. */
  bucket: number;
  /** Buckets below this are in new: round(percent × 100). */
  threshold: number;
  percent: number;
  /** What the bucket alone gives, i.e. without a kill switch or an allowlist. */
  bucketVariant: Variant;
  /** The smallest percentage at which this user is in new: bucket / 100 + 0.01. */
  entersNewAtPercent: number;
  salt: string;
  hashSpecVersion: number;
  /** The router's config version; 0 when the config came from a file. */
  configVersion: number;
  killReason: string | null;
  /** The targeting rule that decided, as text (`canary: header canary = "true" → new`); null otherwise. */
  rule: string | null;
  /** A percentage rule's threshold in buckets (the user's bucket is compared with it); null otherwise. */
  ruleThreshold: number | null;
  /** How many targeting rules the rollout has. */
  rules: number;
}

/**
 * Decides for `userId` on rollout `id` of `snapshot` exactly as the edge would for a request that
 * matched that rollout and carried this user id. `undefined` when
 * the snapshot has no such rollout.
 */
export function explainBucket(snapshot: ConfigSnapshot, id: string, userId: string, request?: BucketRequest): BucketExplanation | undefined {
  const table = compileSnapshot(snapshot);
  const rollout = table.rollouts.get(id);
  if (!rollout) return undefined;
  const user = userId;
  const source = rollout.stickiness[0];
  // As the edge would see this id from the rollout's first source: verified only from a JWT (with no claims known here).
  const identity = { userId: user, source: source ? sourceLabel(source) : "anonymous", verified: source !== undefined && "jwt" in source } as const;
  const decision = decide(table, rollout, identity, undefined, requestFacts(request));
  const rule = isRuleReason(decision.reason) ? rollout.config.rules?.find((r) => `rule:${r.name}` === decision.reason) : undefined;
  const bucket = decision.bucket ?? bucketFrom(rollout.saltState, user);
  return {
    rollout: id,
    user,
    variant: decision.variant,
    reason: decision.reason,
    detail: decision.detail ?? null,
    bucket,
    threshold: rollout.threshold,
    percent: rollout.config.percent,
    bucketVariant: bucket < rollout.threshold ? "new" : "legacy",
    entersNewAtPercent: (bucket + 1) / 100,
    salt: rollout.salt,
    hashSpecVersion: HASH_SPEC_VERSION,
    configVersion: snapshot.version,
    killReason: decision.detail === "global" ? snapshot.globalKill.reason : rollout.killReason,
    rule: rule ? describeRule(rule) : null,
    ruleThreshold: rule?.percent !== undefined ? decision.threshold : null,
    rules: rollout.rules.length,
  };
}

/** Why, for a decision a targeting rule made: the rule, its own threshold for a percentage rule, and what the bucket alone gives. */
function ruleWhy(e: BucketExplanation, compare: string): string | undefined {
  if (e.rule === null) return undefined;
  const within = e.ruleThreshold !== null ? `: bucket ${e.bucket} ${e.bucket < e.ruleThreshold ? "<" : "≥"} ${e.ruleThreshold}` : "";
  return `targeting rule ${e.rule}${within} (without it: ${e.bucketVariant}, ${compare})`;
}

/** The explanation as an operator reads it. */
export function formatBucket(e: BucketExplanation, c: Colors, note?: string): string {
  const variant = e.variant === "new" ? c.green("new") : c.cyan("legacy");
  const compare = `bucket ${e.bucket} ${e.bucket < e.threshold ? "<" : "≥"} threshold ${e.threshold}`;
  let why: string;
  switch (e.reason) {
    case "killed":
      why = `${e.detail === "global" ? "the global kill switch is on" : "the rollout is killed"}${e.killReason ? ` (${JSON.stringify(e.killReason)})` : ""}; nothing bypasses it. Without it: ${e.bucketVariant} (${compare})`;
      break;
    case "allowlist":
      why = `on allowlist.${e.variant}, whatever the percentage (${compare} would give ${e.bucketVariant})`;
      break;
    default:
      why = ruleWhy(e, compare) ?? `${compare} (${e.percent}% × 100)${e.rules ? `; none of its ${e.rules} targeting rules matched (they saw only --header and --country)` : ""}`;
  }
  const enters = `${e.entersNewAtPercent}% on (bucket ${e.bucket} / 100 + 0.01), and at any higher percentage`;
  return [
    `${c.bold(e.user)} → ${variant}  ${c.dim(`(${e.reason})`)}`,
    `  why       ${why}`,
    `  bucket    ${e.bucket} of ${BUCKET_COUNT.toLocaleString("en-US")}: murmur3("${e.salt}:${e.user}") mod ${BUCKET_COUNT} (hash spec v${e.hashSpecVersion})`,
    `  in new    from ${enters}`,
    `  rollout   ${e.rollout} at ${e.percent}%${e.configVersion ? `, config version ${e.configVersion}` : ""}${note ? ` ${note}` : ""}`,
  ].join("\n");
}
