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
  | "approve"
  | "revoke-overrides"
  /** The webhook settings (`PUT /notifications`); before and after never hold secrets. */
  | "notifications";

export interface AuditEntry {
  at: string;
  actor: string;
  action: AuditAction;
  rolloutId: string | null;
  version: number;
  before: unknown;
  after: unknown;
  reason: string | null;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
}
