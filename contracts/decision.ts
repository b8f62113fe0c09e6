/**
 * A routing decision: which variant a request gets and why. Produced by edge/decide.ts, echoed in
 * the log line, the Analytics Engine data point, the debug header, the CLI's `bucket` and OFREP.
 */

export type Variant = "legacy" | "new";

/**
 * Why a request went where it went; echoed in logs, analytics and the debug header. `rule:<name>`:
 * the rollout's targeting rule of that name matched (contracts/rules.ts).
 */
export type Reason = "killed" | "override" | "allowlist" | RuleReason | "bucket" | "no-rollout" | "no-config";

/** The reason of a decision made by the targeting rule `<name>`. */
export type RuleReason = `rule:${string}`;

/** Whether a reason names a targeting rule. */
export function isRuleReason(reason: Reason): reason is RuleReason {
  return reason.startsWith("rule:");
}

/**
 * Where the user id came from. `ofrep:<caller>`: the `targetingKey` of an OFREP evaluation
 * (edge/ofrep/), named after the authenticated caller that sent it.
 */
export type UserSource = `header:${string}` | `cookie:${string}` | `jwt:${string}` | `ofrep:${string}` | "anonymous" | "new-anonymous";

/**
 * Who the user is. `verified`: the id was proven (a JWT whose signature checked, or an OFREP
 * `targetingKey` sent by a caller trusted to vouch for it); otherwise it is
 * *claimed*: a header, a cookie or the anonymous id, which a client can choose. Claimed ids bucket
 * (choosing your own bucket harms nobody) but never match an allowlist or a claim rule.
 */
export interface Identity {
  userId: string;
  source: UserSource;
  verified: boolean;
  /** The verified token's claims (for rules on claims); absent for claimed ids. */
  claims?: Readonly<Record<string, unknown>>;
  /**
   * What the caller states about the user besides the id (an OFREP evaluation context without its
   * `targetingKey`): what targeting rules read in place of headers, cookies, query parameters and
   * `request.cf` (edge/ofrep/evaluate.ts). Trusted no further than `verified`.
   */
  attributes?: Readonly<Record<string, unknown>>;
}

export interface Decision {
  rolloutId: string | null;
  variant: Variant;
  reason: Reason;
  /** Extra words on the reason, e.g. `global` for a global kill. */
  detail?: string;
  bucket: number | null;
  /** The percentage threshold in buckets, for logs ("bucket 1234 < 2500"). */
  threshold: number | null;
  identity: Identity | null;
}
