/**
 * A routing decision: which variant a request gets and why. Produced by edge/decide.ts, echoed in
 * the log line, the Analytics Engine data point, the debug header, the CLI's `bucket` and OFREP.
 */

export type Variant = "legacy" | "new";

/** Why a request went where it went; echoed in logs, analytics and the debug header. */
export type Reason = "killed" | "override" | "allowlist" | "bucket" | "no-rollout" | "no-config";

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
