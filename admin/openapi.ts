/**
 * The OpenAPI 3.1 description of the admin API, generated from the same zod schemas the handlers
 * validate with, so it cannot drift from them. A test checks that every route the app serves is
 * described here and the other way round.
 */
import * as z from "../contracts/zod";
import { RolloutConfigShape } from "../contracts/rollout";
import type { Endpoint } from "./openapi-endpoint";
import { NOTIFICATION_ENDPOINTS } from "./openapi-notifications";
import { OPERATION_ENDPOINTS } from "./openapi-operations";
import { ROLLOUT_ENDPOINTS } from "./openapi-rollouts";
import { SEGMENT_ENDPOINTS } from "./openapi-segments";
import { SIGNAL_ENDPOINTS } from "./openapi-signals";
import { TOKEN_ENDPOINTS } from "./openapi-tokens";
import type { Access } from "./scopes";

type Schema = z.ZodMiniType;

/** Every endpoint that needs a token may answer these. */
const AUTH_ERRORS = {
  401: "No token, or an unknown, expired or revoked one",
  403: "The token lacks the scope this endpoint needs (`forbidden`, naming it)",
};

/** Every admin endpoint, area by area (each area's module says which routes it describes). */
export const ENDPOINTS: Endpoint[] = [
  ...ROLLOUT_ENDPOINTS,
  ...OPERATION_ENDPOINTS,
  ...NOTIFICATION_ENDPOINTS,
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

/** An endpoint's path, header and query parameters. */
function parametersOf(e: Endpoint): unknown[] {
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
  return parameters;
}

/** An endpoint's responses: problems as problem+json, 304 without a body, the rest as JSON. */
function responsesOf(e: Endpoint): Record<string, unknown> {
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
  return responses;
}

/** One endpoint as an OpenAPI operation object. */
function operationOf(e: Endpoint): Record<string, unknown> {
  const parameters = parametersOf(e);
  const scope = scopeNote(e.scope);
  return {
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
    responses: responsesOf(e),
  };
}

const cached = new Map<string, Record<string, unknown>>();

/** The OpenAPI document (built once per isolate). */
export function openApiDocument(apiPrefix: string): Record<string, unknown> {
  const hit = cached.get(apiPrefix);
  if (hit) return hit;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of ENDPOINTS) {
    paths[e.path] ??= {};
    paths[e.path]![e.method] = operationOf(e);
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
