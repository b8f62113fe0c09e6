/**
 * The routing decision, in numbered precedence. Pure: the caller passes in what it read from the
 * request (user id, a verified override) and the compiled table; no I/O, no clock, no randomness.
 */
import { bucketOf } from "./hash";
import { readCookie } from "./cookies";
import type { CompiledRollout, RouterTable } from "./table";

export type Variant = "legacy" | "new";

/** Why a request went where it went; echoed in logs, analytics and the debug header. */
export type Reason = "killed" | "override" | "allowlist" | "bucket" | "no-rollout" | "no-config";

/** The cookie in which the router keeps an anonymous id for users no stickiness source names. */
export const ANONYMOUS_ID_COOKIE = "edge_rollout_uid";

/** Where the user id came from. */
export type UserSource = `header:${string}` | `cookie:${string}` | "anonymous" | "new-anonymous";

export interface Identity {
  userId: string;
  source: UserSource;
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

/** The request facts identification needs; a `Headers` object satisfies it. */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * 1. Identify: the first stickiness source present wins; then the anonymous cookie. Returns
 * `undefined` when the caller must issue a new anonymous id.
 */
export function identify(rollout: CompiledRollout, headers: HeaderReader): Identity | undefined {
  const cookieHeader = headers.get("cookie");
  for (const source of rollout.stickiness) {
    if ("header" in source) {
      const value = headers.get(source.header)?.trim();
      if (value) return { userId: value, source: `header:${source.header}` };
    } else {
      const value = readCookie(cookieHeader, source.cookie);
      if (value) return { userId: value, source: `cookie:${source.cookie}` };
    }
  }
  const anonymous = readCookie(cookieHeader, ANONYMOUS_ID_COOKIE);
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
export function decide(
  table: RouterTable,
  rollout: CompiledRollout | undefined,
  identity: Identity,
  override?: Variant,
): Decision {
  if (!rollout) return NO_ROLLOUT_DECISION;
  const base = { rolloutId: rollout.id, identity, bucket: null, threshold: null };
  // 1. Kill switch.
  if (table.globalKill.killed) return { ...base, variant: "legacy", reason: "killed", detail: "global" };
  if (rollout.killed) return { ...base, variant: "legacy", reason: "killed", detail: "rollout" };
  // 2. QA override.
  if (override) return { ...base, variant: override, reason: "override" };
  // 3. Allowlists.
  if (rollout.allowLegacy.has(identity.userId)) return { ...base, variant: "legacy", reason: "allowlist" };
  if (rollout.allowNew.has(identity.userId)) return { ...base, variant: "new", reason: "allowlist" };
  // 4. Percentage.
  const bucket = bucketOf(rollout.salt, identity.userId);
  return {
    ...base,
    variant: bucket < rollout.threshold ? "new" : "legacy",
    reason: "bucket",
    bucket,
    threshold: rollout.threshold,
  };
}
