/** The OpenAPI description of the segment endpoints (./routes/segments.ts); see ./openapi.ts. */
import { SegmentBodySchema } from "../contracts/rules";
import type { Endpoint } from "./openapi-endpoint";

export const SEGMENT_ENDPOINTS: Endpoint[] = [
  {
    method: "get",
    path: "/segments",
    scope: "read",
    summary: "List segments (named sets of conditions that targeting rules use), with the rollouts that use each, and the config version",
    responses: { 200: "`{ version, segments: [{ name, description, when, version, updatedAt, updatedBy, usedBy }] }`" },
  },
  {
    method: "get",
    path: "/segments/{name}",
    scope: "read",
    summary: "Read one segment (ETag = its version; If-None-Match → 304)",
    responses: { 200: "The segment and `usedBy`", 304: "Not modified", 404: "No segment has this name (`segment-not-found`)", 422: "The name is not a slug" },
  },
  {
    method: "put",
    path: "/segments/{name}",
    scope: "admin",
    summary: "Create or replace a segment",
    description:
      'Every rollout whose rules name the segment routes with its new conditions once isolates hold the next config version (within the freshness window). A segment cannot use another segment. `If-Match: "0"` creates only.',
    body: {
      schema: SegmentBodySchema,
      required: true,
      example: { description: "Opted-in beta testers (a claim of the verified identity token)", when: [{ claim: "beta_tester", equals: true }] },
    },
    ifMatch: true,
    responses: {
      200: "Replaced (or `changed: false`)",
      201: "Created",
      400: "Unreadable request (malformed JSON, bad If-Match, bad X-Actor)",
      409: "The most segments there may be exist already (`invalid-state`)",
      412: "If-Match names an old version",
      415: "Body is not JSON",
      422: "Invalid body or name: field-level errors in `errors`",
    },
  },
  {
    method: "delete",
    path: "/segments/{name}",
    scope: "admin",
    summary: "Delete a segment no rollout uses",
    ifMatch: true,
    responses: {
      200: "`{ version, deleted }`",
      404: "No segment has this name (`segment-not-found`)",
      409: "Rollouts' rules use it (`segment-in-use`, naming them in `rollouts`)",
      412: "If-Match names an old version",
      422: "The name is not a slug",
    },
  },
];
