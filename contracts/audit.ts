/** The audit log: who changed what, when and why. Written by the control plane, read by the admin API, dashboard and CLI. */

export type AuditAction =
  | "seed"
  | "create"
  | "replace"
  | "patch"
  | "delete"
  | "kill"
  | "resume"
  | "kill-all"
  | "resume-all"
  | "pause"
  | "continue"
  | "promote"
  | "advance"
  | "revoke-overrides"
  | "token-create"
  | "token-revoke"
  | "approve"
  /** The webhook settings (`PUT /notifications`); before and after never hold secrets. */
  | "notifications"
  /** A segment created or changed (`PUT /segments/:name`); before and after name it. */
  | "segment-put"
  | "segment-delete";

export interface AuditEntry {
  at: string;
  actor: string;
  action: AuditAction;
  rolloutId: string | null;
  version: number;
  before: unknown;
  after: unknown;
  reason: string | null;
  /**
   * What the request said about itself that no token proves, e.g. `X-Actor: alice@example.com`
   * when the token `ci-deploy` acted. Absent when there is nothing to add (and in entries written
   * before it existed).
   */
  note?: string;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
}
