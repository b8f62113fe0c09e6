/**
 * What the dashboard reads from the admin API: the server's own wire types (contracts/), imported
 * as types only (esbuild drops them from the bundle), so the page and the API cannot drift apart.
 */
export type {
  AdminProblem as Problem,
  AuditPage,
  HealthPoint,
  HealthReport,
  RolloutList,
  RolloutStatus,
  RolloutView,
  ShadowReport,
  StageView,
  WriteResult as WriteReply,
} from "../../../contracts/admin-wire";
export type { AuditAction, AuditRecord as AuditEntry } from "../../../contracts/audit";
export type { Variant } from "../../../contracts/decision";
export type { GuardConfig, Verdict } from "../../../contracts/guard";
export type { VariantSummary } from "../../../contracts/health";
export type { GlobalKill, RolloutConfig, StageApproval, StickinessSource } from "../../../contracts/rollout";
export type { Whoami } from "../../../contracts/tokens";
export type { ShadowExample } from "../../../contracts/shadow-stats";
export type { ExternalCheckView, ExternalReport, ProbeView } from "../../../contracts/external-wire";
