/**
 * What the OpenAPI description says about one admin endpoint, and the problem statuses the
 * writes share. Each area lists its endpoints in its own module (./openapi-rollouts.ts,
 * ./openapi-operations.ts, ...); ./openapi.ts builds the document from all of them.
 */
import type * as z from "../contracts/zod";
import type { Access } from "./scopes";

/** One admin endpoint as the OpenAPI document describes it. */
export interface Endpoint {
  method: "get" | "put" | "patch" | "post" | "delete";
  /** OpenAPI path, relative to the API prefix, e.g. `/rollouts/{id}`. */
  path: string;
  summary: string;
  description?: string;
  body?: { schema: z.ZodMiniType; required: boolean; example?: unknown };
  query?: z.ZodMiniType;
  ifMatch?: boolean;
  /** What the token needs (the route declares the same with `requires`; a test checks they agree); `public` needs none. */
  scope: Access | "public";
  /** Status → description; problem statuses answer application/problem+json (401 and 403 are added for every non-public endpoint). */
  responses: Record<number, string>;
}

/** What a write with a JSON body may answer besides its own statuses (./http.ts readJson and ifMatch). */
export const WRITE_ERRORS = {
  400: "Unreadable request (malformed JSON, bad If-Match, bad X-Actor)",
  412: "If-Match names an old version",
  415: "Body is not JSON",
  422: "Invalid body: field-level errors in `errors`",
};
