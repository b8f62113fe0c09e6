/**
 * The OpenAPI description of the rollout endpoints (./routes/rollouts.ts): list, read, write, the
 * per-rollout actions, health and shadow reports; see ./openapi.ts.
 */
import { ApproveBodySchema, HealthQuerySchema, KillBodySchema, ResumeBodySchema, RolloutBodySchema, RolloutPatchSchema, ShadowQuerySchema } from "../contracts/admin-wire";
import type * as z from "../contracts/zod";
import { WRITE_ERRORS, type Endpoint } from "./openapi-endpoint";

/**
 * A per-rollout action, `POST /rollouts/{id}/<name>` (one loop in ./routes/rollouts.ts): scope
 * operate, an optional JSON body, If-Match, and the write problems and 404 besides `responses`.
 */
function action(name: string, summary: string, body: { schema: z.ZodMiniType; example?: unknown }, responses: Record<number, string>, description?: string): Endpoint {
  return {
    method: "post",
    path: `/rollouts/{id}/${name}`,
    scope: "operate",
    summary,
    ...(description ? { description } : {}),
    body: { ...body, required: false },
    ifMatch: true,
    responses: { ...responses, ...WRITE_ERRORS, 404: "Unknown rollout" },
  };
}

export const ROLLOUT_ENDPOINTS: Endpoint[] = [
  {
    method: "get",
    path: "/rollouts",
    scope: "read",
    summary: "List rollouts, the config version and the global kill switch",
    responses: { 200: "The rollouts" },
  },
  {
    method: "get",
    path: "/rollouts/{id}",
    scope: "read",
    summary: "Read one rollout (ETag = its version; If-None-Match → 304)",
    responses: { 200: "The rollout", 304: "Not modified", 404: "Unknown rollout" },
  },
  {
    method: "put",
    path: "/rollouts/{id}",
    scope: "admin",
    summary: "Create or replace a rollout",
    body: {
      schema: RolloutBodySchema,
      required: true,
      example: { match: { pathPrefixes: ["/checkout"] }, origins: { legacy: "https://old.example", new: "https://new.example" }, percent: 10 },
    },
    ifMatch: true,
    responses: { 200: "Replaced", 201: "Created", ...WRITE_ERRORS, 409: "Another rollout claims the same host and path prefix" },
  },
  {
    method: "patch",
    path: "/rollouts/{id}",
    scope: "percent-only-or-admin",
    summary: "Change fields of a rollout (JSON merge patch, RFC 7396)",
    description: "The merged result is validated like a PUT body.",
    body: { schema: RolloutPatchSchema, required: true, example: { percent: 25 } },
    ifMatch: true,
    responses: { 200: "Changed (or `changed: false`)", ...WRITE_ERRORS, 404: "Unknown rollout", 409: "Overlapping rollouts" },
  },
  {
    method: "delete",
    path: "/rollouts/{id}",
    scope: "admin",
    summary: "Delete a rollout",
    ifMatch: true,
    responses: { 200: "Deleted", 404: "Unknown rollout", 412: "If-Match names an old version" },
  },
  action("kill", "Kill switch: every user of this rollout to legacy", { schema: KillBodySchema, example: { reason: "5xx spike on new" } }, { 200: "Killed (or already killed)" }),
  action("resume", "Turn this rollout's kill switch off", { schema: ResumeBodySchema }, { 200: "Resumed" }),
  action("pause", "Stop advancing through stages (the percentage stays)", { schema: ResumeBodySchema }, { 200: "Paused", 409: "The rollout has no stages (invalid-state)" }),
  action("continue", "Resume advancing through stages", { schema: ResumeBodySchema }, { 200: "Continued", 409: "The rollout has no stages" }),
  action("promote", "Move to the next stage now", { schema: ResumeBodySchema }, { 200: "Promoted", 409: "No stages, at the last stage, or killed" }),
  action(
    "approve",
    "Approve the next stage (one with requiresApproval): the scheduler enters it at its next check",
    { schema: ApproveBodySchema, example: { reason: "go/no-go: error rate 0.04%, p95 +6 ms; signed off by the release manager" } },
    { 200: "Approved (or `changed: false`)", 409: "No next stage waits for an approval (invalid-state)" },
    "The approval is stored for that stage, from the current percentage: a kill or pause keeps it, a change of percentage ends it. " +
      "The stage is entered within 5 s once its hold, guard and schedule allow. Approving a stage already approved changes nothing.",
  ),
  {
    method: "get",
    path: "/rollouts/{id}/health",
    scope: "read",
    summary: "Legacy and new side by side over a window: requests, error rate, p50/p95/p99, the guard's verdict, the stage, a per-10-s series, and the external checks and probes",
    description:
      "`external` (null without external checks or probes) shows each check's last value, time, verdict and error, and each probe's last runs, as the alarm last left them; only results since `external.since` (the last resume, continue or percentage change) count.",
    query: HealthQuerySchema,
    responses: { 200: "The health report", 400: "Invalid query", 404: "Unknown rollout" },
  },
  {
    method: "get",
    path: "/rollouts/{id}/shadow",
    scope: "read",
    summary: "Shadow traffic: legacy's and new's answers compared, per matched path prefix, with the newest mismatch examples",
    description:
      "Over `window` seconds (default 300): per prefix the mirrors sent, matched, mismatched (by kind: status, header, body) and unanswered (errors, not mismatches), " +
      "the mismatch rate (mismatched ÷ answered) and both latencies; `totals` over every prefix; at most 20 examples, newest first, each with the JSON Pointer of the first difference and short excerpts of both values.",
    query: ShadowQuerySchema,
    responses: { 200: "The shadow report", 400: "Invalid query", 404: "Unknown rollout" },
  },
];
