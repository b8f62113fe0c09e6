/**
 * The OpenAPI 3.1 description of the admin API, generated from the same zod schemas the handlers
 * validate with, so it cannot drift from them. A test checks that every route the app serves is
 * described here and the other way round.
 */
import * as z from "../contracts/zod";
import { RolloutConfigShape } from "../contracts/rollout";
import { NotificationsPutSchema } from "../contracts/notifications";
import {
  ApproveBodySchema,
  DeliveriesQuerySchema,
  KillBodySchema,
  ResumeBodySchema,
  AnalyticsQuerySchema,
  AuditQuerySchema,
  HealthQuerySchema,
  OverrideBodySchema,
  ShadowQuerySchema,
  RevokeOverridesBodySchema,
  RolloutBodySchema,
  RolloutPatchSchema,
} from "../contracts/admin-wire";
import { SIGNAL_ENDPOINTS } from "./openapi-signals";
import { SEGMENT_ENDPOINTS } from "./openapi-segments";
import { TOKEN_ENDPOINTS } from "./openapi-tokens";
import type { Access } from "./scopes";

type Schema = z.ZodMiniType;

export interface Endpoint {
  method: "get" | "put" | "patch" | "post" | "delete";
  /** OpenAPI path, relative to the API prefix, e.g. `/rollouts/{id}`. */
  path: string;
  summary: string;
  description?: string;
  body?: { schema: Schema; required: boolean; example?: unknown };
  query?: Schema;
  ifMatch?: boolean;
  /** What the token needs (the route declares the same with `requires`; a test checks they agree); `public` needs none. */
  scope: Access | "public";
  /** Status → description; problem statuses answer application/problem+json (401 and 403 are added for every non-public endpoint). */
  responses: Record<number, string>;
}

/** Every endpoint that needs a token may answer these. */
const AUTH_ERRORS = {
  401: "No token, or an unknown, expired or revoked one",
  403: "The token lacks the scope this endpoint needs (`forbidden`, naming it)",
};

const WRITE_ERRORS = {
  400: "Unreadable request (malformed JSON, bad If-Match, bad X-Actor)",
  412: "If-Match names an old version",
  415: "Body is not JSON",
  422: "Invalid body: field-level errors in `errors`",
};

/** Every admin endpoint. */
export const ENDPOINTS: Endpoint[] = [
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
  {
    method: "post",
    path: "/rollouts/{id}/kill",
    scope: "operate",
    summary: "Kill switch: every user of this rollout to legacy",
    body: { schema: KillBodySchema, required: false, example: { reason: "5xx spike on new" } },
    ifMatch: true,
    responses: { 200: "Killed (or already killed)", ...WRITE_ERRORS, 404: "Unknown rollout" },
  },
  {
    method: "post",
    path: "/rollouts/{id}/resume",
    scope: "operate",
    summary: "Turn this rollout's kill switch off",
    body: { schema: ResumeBodySchema, required: false },
    ifMatch: true,
    responses: { 200: "Resumed", ...WRITE_ERRORS, 404: "Unknown rollout" },
  },
  {
    method: "post",
    path: "/rollouts/{id}/pause",
    scope: "operate",
    summary: "Stop advancing through stages (the percentage stays)",
    body: { schema: ResumeBodySchema, required: false },
    ifMatch: true,
    responses: { 200: "Paused", ...WRITE_ERRORS, 404: "Unknown rollout", 409: "The rollout has no stages (invalid-state)" },
  },
  {
    method: "post",
    path: "/rollouts/{id}/continue",
    scope: "operate",
    summary: "Resume advancing through stages",
    body: { schema: ResumeBodySchema, required: false },
    ifMatch: true,
    responses: { 200: "Continued", ...WRITE_ERRORS, 404: "Unknown rollout", 409: "The rollout has no stages" },
  },
  {
    method: "post",
    path: "/rollouts/{id}/promote",
    scope: "operate",
    summary: "Move to the next stage now",
    body: { schema: ResumeBodySchema, required: false },
    ifMatch: true,
    responses: { 200: "Promoted", ...WRITE_ERRORS, 404: "Unknown rollout", 409: "No stages, at the last stage, or killed" },
  },
  {
    method: "post",
    path: "/rollouts/{id}/approve",
    scope: "operate",
    summary: "Approve the next stage (one with requiresApproval): the scheduler enters it at its next check",
    description:
      "The approval is stored for that stage, from the current percentage: a kill or pause keeps it, a change of percentage ends it. " +
      "The stage is entered within 5 s once its hold, guard and schedule allow. Approving a stage already approved changes nothing.",
    body: { schema: ApproveBodySchema, required: false, example: { reason: "go/no-go: error rate 0.04%, p95 +6 ms; signed off by the release manager" } },
    ifMatch: true,
    responses: { 200: "Approved (or `changed: false`)", ...WRITE_ERRORS, 404: "Unknown rollout", 409: "No next stage waits for an approval (invalid-state)" },
  },
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
    path: "/notifications",
    scope: "read",
    summary: "The webhook settings (secrets are write-only: `secretSet: true` instead)",
    responses: { 200: "The webhooks", 401: "Missing or wrong admin token" },
  },
  {
    method: "put",
    path: "/notifications",
    scope: "admin",
    summary: "Replace the webhook settings",
    description:
      "Each webhook receives a signed JSON POST for the events it lists (`x-edge-router-signature: sha256=<hex HMAC-SHA256 of timestamp.body>`), " +
      "sent by the Durable Object and retried with exponential backoff for up to 24 h. A webhook without `secret` keeps the secret stored for its id; a new id needs one.",
    body: {
      schema: NotificationsPutSchema,
      required: true,
      example: {
        webhooks: [
          { id: "ops-slack", url: "https://hooks.example.com/edge-router", events: ["kill", "guard-breach", "approval-needed"], secret: "4f9c2e7a1b3d5f60a8e2c4b6d8f0a2c4" },
        ],
      },
    },
    responses: { 200: "Stored (or `changed: false`)", 400: WRITE_ERRORS[400], 401: "Missing or wrong token", 415: WRITE_ERRORS[415], 422: WRITE_ERRORS[422] },
  },
  {
    method: "get",
    path: "/notifications/deliveries",
    scope: "read",
    summary: "Recent webhook deliveries, newest first: pending (with the next attempt), delivered or failed",
    query: DeliveriesQuerySchema,
    responses: { 200: "Deliveries", 400: "Invalid query", 401: "Missing or wrong admin token" },
  },
  {
    method: "get",
    path: "/stats",
    scope: "read",
    summary: "Counters of the isolate that answers: proxied requests, config refreshes",
    responses: { 200: "Counters" },
  },
  ...SIGNAL_ENDPOINTS,
  ...TOKEN_ENDPOINTS,
  ...SEGMENT_ENDPOINTS,
  { method: "get", path: "/openapi.json", scope: "public", summary: "This document", responses: { 200: "OpenAPI 3.1" } },
];

/** The scope as a sentence for an endpoint's summary, and its `x-required-scope` extensions. */
function scopeNote(scope: Access | "public"): { sentence: string; extensions: Record<string, string> } {
  switch (scope) {
    case "public":
      return { sentence: "No token needed.", extensions: {} };
    case "any-token":
      return { sentence: "Any valid token.", extensions: { "x-required-scope": "any" } };
    case "percent-only-or-admin":
      return {
        sentence: "Scope: operate when the body changes only percent, else admin.",
        extensions: { "x-required-scope": "admin", "x-required-scope-percent-only": "operate" },
      };
    default:
      return { sentence: `Scope: ${scope}.`, extensions: { "x-required-scope": scope } };
  }
}

function jsonSchema(schema: Schema): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

function queryParameters(schema: Schema) {
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, in: "query", required: json.required?.includes(name) ?? false, schema: s }));
}

const cached = new Map<string, Record<string, unknown>>();

/** The OpenAPI document (built once per isolate). */
export function openApiDocument(apiPrefix: string): Record<string, unknown> {
  const hit = cached.get(apiPrefix);
  if (hit) return hit;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of ENDPOINTS) {
    const parameters: unknown[] = [];
    if (e.path.includes("{id}")) parameters.push({ name: "id", in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,63}$" } });
    if (e.path.includes("{name}")) {
      // A signal's name may hold '_' (it names a metric); a segment's is a slug.
      const pattern = e.path.startsWith("/segments/") ? "^[a-z0-9][a-z0-9-]{0,63}$" : "^[a-z0-9][a-z0-9_-]{0,63}$";
      parameters.push({ name: "name", in: "path", required: true, schema: { type: "string", pattern } });
    }
    if (e.ifMatch)
      parameters.push({
        name: "If-Match",
        in: "header",
        required: false,
        description: 'The version you read (ETag), e.g. "7": the write fails with 412 if it changed since.',
        schema: { type: "string" },
      });
    if (e.method !== "get")
      parameters.push({
        name: "X-Actor",
        in: "header",
        required: false,
        description: "Who is behind the token: the audit entry's actor is the token's name, and this goes into its note (`X-Actor: …`).",
        schema: { type: "string", maxLength: 100 },
      });
    if (e.query) parameters.push(...queryParameters(e.query));
    const responses: Record<string, unknown> = {};
    const all = e.scope === "public" ? e.responses : { ...e.responses, ...AUTH_ERRORS };
    for (const [status, description] of Object.entries(all)) {
      const code = Number(status);
      responses[status] =
        code >= 400
          ? { description, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } }
          : code === 304
            ? { description }
            : { description, content: { "application/json": { schema: { type: "object" } } } };
    }
    paths[e.path] ??= {};
    const scope = scopeNote(e.scope);
    paths[e.path]![e.method] = {
      summary: `${e.summary}. ${scope.sentence}`,
      ...(e.description ? { description: e.description } : {}),
      ...scope.extensions,
      ...(e.scope === "public" ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(e.body
        ? {
            requestBody: {
              required: e.body.required,
              content: { "application/json": { schema: jsonSchema(e.body.schema), ...(e.body.example ? { example: e.body.example } : {}) } },
            },
          }
        : {}),
      responses,
    };
  }
  const doc = {
    openapi: "3.1.0",
    info: {
      title: "edge-router admin API",
      version: "1",
      description:
        "Operate sticky percentage rollouts: config, kill switches, audit. Every endpoint needs `Authorization: Bearer <token>`, ADMIN_TOKEN or a named token (`er_<id>_<secret>`) with the scope the endpoint's `x-required-scope` names (read, operate, admin; admin has them all), except this document (it holds no state). Errors are RFC 9457 problem details.",
    },
    servers: [{ url: apiPrefix }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN, or a named token er_<id>_<secret> (POST /tokens)" } },
      schemas: {
        RolloutConfig: jsonSchema(RolloutConfigShape),
        Problem: {
          type: "object",
          required: ["type", "title", "status"],
          properties: {
            type: { type: "string", description: "urn:edge-router:<slug>" },
            title: { type: "string" },
            status: { type: "integer" },
            detail: { type: "string" },
            errors: { type: "array", items: { type: "object", properties: { pointer: { type: "string" }, message: { type: "string" } } } },
          },
        },
      },
    },
    paths,
  };
  cached.set(apiPrefix, doc);
  return doc;
}
