/**
 * The routing decision, in numbered precedence. Pure: the caller passes in what it read from the
 * request (user id, a verified override) and the compiled table; no I/O, no clock, no randomness.
 */
import { bucketFrom } from "../contracts/hash";
import { readCookie } from "./cookies";
import type { Decision, Identity, Variant } from "../contracts/decision";
import type { CompiledRollout, RouterTable } from "./match";

export type { Decision, Identity, Reason, UserSource, Variant } from "../contracts/decision";

/** The cookie in which the router keeps an anonymous id for users no stickiness source names. */
export const ANONYMOUS_ID_COOKIE = "edge_rollout_uid";

/** The request facts identification needs; a `Headers` object satisfies it. */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * 1. Identify: the first stickiness source present wins; then the anonymous cookie. Returns
 * `undefined` when the caller must issue a new anonymous id.
 */
export function identify(rollout: CompiledRollout, headers: HeaderReader): Identity | undefined {
  let cookieHeader: string | null | undefined;
  for (const source of rollout.stickiness) {
    if ("header" in source) {
      const value = headers.get(source.header)?.trim();
      if (value) return { userId: value, source: `header:${source.header}` };
    } else {
      cookieHeader ??= headers.get("cookie");
      const value = readCookie(cookieHeader, source.cookie);
      if (value) return { userId: value, source: `cookie:${source.cookie}` };
    }
  }
  const anonymous = readCookie(cookieHeader === undefined ? headers.get("cookie") : cookieHeader, ANONYMOUS_ID_COOKIE);
  if (anonymous && isAnonymousId(anonymous)) return { userId: anonymous, source: "anonymous" };
  return undefined;
}

/** Anonymous ids are UUIDs the router issued; anything else in that cookie is ignored. */
export function isAnonymousId(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value);
}

/** The decision when no rollout matches the request: legacy, untouched. */
export const NO_ROLLOUT_DECISION: Decision = { rolloutId: null, variant: "legacy", reason: "no-rollout", bucket: null, threshold: null, identity: null };

/** The decision when no config is known at all (control plane never reached): legacy. */
export const NO_CONFIG_DECISION: Decision = { ...NO_ROLLOUT_DECISION, reason: "no-config" };

/**
 * Decide the variant for one user of one rollout. Precedence:
 * 1. kill switch (global, then the rollout's) → legacy; nothing bypasses it
 * 2. QA override (already verified by the caller) → its variant
 * 3. allowlist → the listed variant (legacy wins if a user is on both lists)
 * 4. bucket = hash(salt, user) mod 10,000; bucket < percent × 100 → new
 */
export function decide(table: RouterTable, rollout: CompiledRollout | undefined, identity: Identity, override?: Variant): Decision {
  if (!rollout) return NO_ROLLOUT_DECISION;
  const rolloutId = rollout.id;
  // 1. Kill switch.
  if (table.globalKill.killed) return { rolloutId, variant: "legacy", reason: "killed", detail: "global", bucket: null, threshold: null, identity };
  if (rollout.killed) return { rolloutId, variant: "legacy", reason: "killed", detail: "rollout", bucket: null, threshold: null, identity };
  // 2. QA override.
  if (override) return { rolloutId, variant: override, reason: "override", bucket: null, threshold: null, identity };
  // 3. Allowlists (skipped without entries: most rollouts have none).
  if (rollout.allowLegacy.size && rollout.allowLegacy.has(identity.userId)) return { rolloutId, variant: "legacy", reason: "allowlist", bucket: null, threshold: null, identity };
  if (rollout.allowNew.size && rollout.allowNew.has(identity.userId)) return { rolloutId, variant: "new", reason: "allowlist", bucket: null, threshold: null, identity };
  // 4. Percentage.
  const bucket = bucketFrom(rollout.saltState, identity.userId);
  return { rolloutId, variant: bucket < rollout.threshold ? "new" : "legacy", reason: "bucket", bucket, threshold: rollout.threshold, identity };
}
