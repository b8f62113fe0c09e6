/**
 * The OpenAPI description of the operations endpoints (./routes/operations.ts): the global kill
 * switch, QA override tokens, the audit log, analytics and isolate stats; see ./openapi.ts.
 */
import { AnalyticsQuerySchema, AuditQuerySchema, KillBodySchema, OverrideBodySchema, ResumeBodySchema, RevokeOverridesBodySchema } from "../contracts/admin-wire";
import { WRITE_ERRORS, type Endpoint } from "./openapi-endpoint";

export const OPERATION_ENDPOINTS: Endpoint[] = [
  {
    method: "post",
    path: "/kill",
    scope: "operate",
    summary: "Global kill switch: every rollout to legacy",
    body: { schema: KillBodySchema, required: false, example: { reason: "incident 4711" } },
    ifMatch: true,
    responses: { 200: "Killed", ...WRITE_ERRORS },
  },
  {
    method: "post",
    path: "/resume",
    scope: "operate",
    summary: "Turn the global kill switch off (per-rollout kills stay)",
    body: { schema: ResumeBodySchema, required: false },
    ifMatch: true,
    responses: { 200: "Resumed", ...WRITE_ERRORS },
  },
  {
    method: "post",
    path: "/rollouts/{id}/override-token",
    scope: "admin",
    summary: "Issue a signed QA override token for one variant of this rollout",
    body: { schema: OverrideBodySchema, required: false, example: { variant: "new", ttlSeconds: 3600 } },
    responses: {
      200: "The token, and how to send it",
      404: "Unknown rollout",
      422: "Invalid body",
      501: "OVERRIDE_SECRET is not set: overrides are off",
    },
  },
  {
    method: "post",
    path: "/override-tokens/revoke",
    scope: "admin",
    summary: "Revoke every QA override token issued before a time (default: now)",
    body: { schema: RevokeOverridesBodySchema, required: false, example: { reason: "QA laptop lost" } },
    responses: { 200: "Revoked (or `changed: false` when an equal or later revocation stands)", ...WRITE_ERRORS },
  },
  {
    method: "get",
    path: "/audit",
    scope: "read",
    summary: "The audit log, newest first",
    query: AuditQuerySchema,
    responses: { 200: "Entries", 400: "Invalid query" },
  },
  {
    method: "get",
    path: "/rollouts/{id}/analytics",
    scope: "read",
    summary: "Error rate per minute, latency percentiles and requests by colo per variant, from Analytics Engine",
    description: "Runs the queries of docs/analytics.md through the Analytics Engine SQL API. Needs CF_ACCOUNT_ID and CF_API_TOKEN (501 otherwise).",
    query: AnalyticsQuerySchema,
    responses: {
      200: "Rows per query",
      400: "Invalid query",
      404: "Unknown rollout",
      501: "CF_ACCOUNT_ID or CF_API_TOKEN not configured",
      502: "The SQL API failed",
    },
  },
  {
    method: "get",
    path: "/stats",
    scope: "read",
    summary: "Counters of the isolate that answers: proxied requests, config refreshes",
    responses: { 200: "Counters" },
  },
];
