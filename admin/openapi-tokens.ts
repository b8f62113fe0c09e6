/** The OpenAPI description of the token endpoints and `whoami` (./routes/tokens.ts); see ./openapi.ts. */
import { TokenCreateBodySchema } from "../contracts/tokens";
import type { Endpoint } from "./openapi-endpoint";

export const TOKEN_ENDPOINTS: Endpoint[] = [
  {
    method: "post",
    path: "/tokens",
    scope: "admin",
    summary: "Create a named token with scopes (read, operate, admin, evaluate) and an optional expiry; the answer shows its secret once",
    description:
      "The answer's `token` (`er_<id>_<secret>`) is the only time the secret is shown: the router keeps only its SHA-256. The token's name is the audit actor of everything done with it. Every isolate accepts it once its config snapshot holds it (at once in the isolate that created it, within the freshness window elsewhere).",
    body: { schema: TokenCreateBodySchema, required: true, example: { name: "ci-deploy", scopes: ["read", "operate"], expiresAt: "2026-12-31T00:00:00Z" } },
    responses: {
      201: "Created: `{ id, name, scopes, createdAt, createdBy, expiresAt, token, warning }`",
      400: "Unreadable request (malformed JSON, bad X-Actor)",
      409: "A token with this name exists (`token-name-taken`), or the most tokens there may be exist",
      415: "Body is not JSON",
      422: "Invalid body: field-level errors in `errors`",
    },
  },
  {
    method: "get",
    path: "/tokens",
    scope: "admin",
    summary: "List named tokens: id, name, scopes, createdAt, createdBy, expiresAt (never a secret or its hash)",
    responses: { 200: "`{ tokens: [...] }`, oldest first" },
  },
  {
    method: "delete",
    path: "/tokens/{id}",
    scope: "admin",
    summary: "Revoke a named token: it fails in every isolate within the freshness window",
    responses: { 200: "`{ version, revoked }`", 404: "No token has this id (`token-not-found`)" },
  },
  {
    method: "get",
    path: "/whoami",
    scope: "any-token",
    summary: "The calling token's name and scopes (`admin` and every scope for ADMIN_TOKEN)",
    responses: { 200: "`{ name, scopes }`" },
  },
];
