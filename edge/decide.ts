/**
 * The routing decision, in numbered precedence. Pure: the caller passes in what it read from the
 * request (user id, a verified override, the facts targeting rules read) and the compiled table;
 * no I/O, no clock, no randomness.
 */
import { bucketFrom } from "../contracts/hash";
import type { Decision, Identity, Variant } from "../contracts/decision";
import type { CompiledRollout, RouterTable } from "./match";
import { NO_FACTS } from "./request-facts";
import { matchingRule, type CompiledRule, type RequestFacts } from "./rules";

export type { Decision, Identity, Reason, UserSource, Variant } from "../contracts/decision";

/** The cookie in which the router keeps an anonymous id for users no stickiness source names. */
export const ANONYMOUS_ID_COOKIE = "edge_rollout_uid";

/** The decision when no rollout matches the request: legacy, untouched. */
export const NO_ROLLOUT_DECISION: Decision = { rolloutId: null, variant: "legacy", reason: "no-rollout", bucket: null, threshold: null, identity: null };

/** The decision when no config is known at all (control plane never reached): legacy. */
export const NO_CONFIG_DECISION: Decision = { ...NO_ROLLOUT_DECISION, reason: "no-config" };

/** The variant a user is pinned to (legacy wins if on both lists); most rollouts have no lists. */
function allowlisted(rollout: CompiledRollout, userId: string): Variant | undefined {
  if (rollout.allowLegacy.size && rollout.allowLegacy.has(userId)) return "legacy";
  if (rollout.allowNew.size && rollout.allowNew.has(userId)) return "new";
  return undefined;
}

/** The decision of a matching rule: its variant, or its percentage of the matched users by bucket. */
function ruleDecision(rollout: CompiledRollout, rule: CompiledRule, identity: Identity): Decision {
  const rolloutId = rollout.id;
  if (rule.variant !== undefined) return { rolloutId, variant: rule.variant, reason: rule.reason, bucket: null, threshold: null, identity };
  // The rollout's own hash and salt: as sticky as the rollout, and raising the rule's percent only adds users.
  const bucket = bucketFrom(rollout.saltState, identity.userId);
  return { rolloutId, variant: bucket < rule.threshold ? "new" : "legacy", reason: rule.reason, bucket, threshold: rule.threshold, identity };
}

/**
 * Decide the variant for one user of one rollout. Precedence:
 * 1. kill switch (global, then the rollout's) → legacy; nothing bypasses it
 * 2. QA override (already verified by the caller) → its variant
 * 3. allowlist (verified identities only) → the listed variant (legacy wins if on both lists)
 * 4. targeting rules, in order (the first whose conditions all hold, read from `facts` and the
 *    identity's verified claims) → its variant, or its percentage by bucket; reason `rule:<name>`
 * 5. bucket = hash(salt, user) mod 10,000; bucket < percent × 100 → new
 */
export function decide(table: RouterTable, rollout: CompiledRollout | undefined, identity: Identity, override?: Variant, facts: RequestFacts = NO_FACTS): Decision {
  if (!rollout) return NO_ROLLOUT_DECISION;
  const rolloutId = rollout.id;
  // 1. Kill switch.
  if (table.globalKill.killed) return { rolloutId, variant: "legacy", reason: "killed", detail: "global", bucket: null, threshold: null, identity };
  if (rollout.killed) return { rolloutId, variant: "legacy", reason: "killed", detail: "rollout", bucket: null, threshold: null, identity };
  // 2. QA override.
  if (override) return { rolloutId, variant: override, reason: "override", bucket: null, threshold: null, identity };
  // 3. Allowlists, for verified identities only: a claimed id could be anyone's.
  if (identity.verified) {
    const pinned = allowlisted(rollout, identity.userId);
    if (pinned) return { rolloutId, variant: pinned, reason: "allowlist", bucket: null, threshold: null, identity };
  }
  // 4. Targeting rules: most rollouts have none, and then nothing is read.
  if (rollout.rules.length) {
    const rule = matchingRule(rollout.rules, facts, identity);
    if (rule) return ruleDecision(rollout, rule, identity);
  }
  // 5. Percentage.
  const bucket = bucketFrom(rollout.saltState, identity.userId);
  return { rolloutId, variant: bucket < rollout.threshold ? "new" : "legacy", reason: "bucket", bucket, threshold: rollout.threshold, identity };
}
