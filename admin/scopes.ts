/**
 * What each admin route needs, declared on the route itself: `api.get("/rollouts", requires("read"), …)`.
 * The caller is already authenticated (./auth.ts); a known token without the scope gets a 403
 * `forbidden` problem that names the scope it lacks. test/workers/token-scopes.test.ts sends every
 * route the app serves with a token of each scope, so a route added without `requires` fails it.
 */
import type { MiddlewareHandler } from "hono";
import { problemResponse } from "../contracts/problem";
import { grants, type TokenScope } from "../contracts/tokens";
import { missingScope } from "../edge/tokens";
import { readJson, type AdminContext, type AdminEnv } from "./http";

/**
 * What a route needs:
 * - a scope (`admin` has every scope);
 * - `any-token`: any valid token, whatever its scopes (`GET /whoami`);
 * - `percent-only-or-admin`: `operate` when the JSON body changes only `percent`, else `admin`
 *   (`PATCH /rollouts/:id`: a percentage change is an operation, any other field is config).
 */
export type Access = TokenScope | "any-token" | "percent-only-or-admin";

/** Whether a PATCH body changes the percentage and nothing else. */
export function changesOnlyPercent(body: unknown): boolean {
  return body !== null && typeof body === "object" && !Array.isArray(body) && Object.keys(body).length === 1 && Object.hasOwn(body, "percent");
}

function refuse(c: AdminContext, required: TokenScope, what?: string): Response {
  const principal = c.get("principal");
  return problemResponse(403, "forbidden", "Forbidden", missingScope(principal, required, what), { requiredScope: required, scopes: principal.scopes });
}

/** The middleware that lets a request through only when its token has what `access` names. */
export function requires(access: Access): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const { scopes } = c.get("principal");
    if (access === "any-token") return next();
    if (access !== "percent-only-or-admin") return grants(scopes, access) ? next() : refuse(c, access);
    if (grants(scopes, "admin")) return next();
    if (!grants(scopes, "operate")) return refuse(c, "operate", "A PATCH (of percent alone; other fields need admin)");
    // Reading the body here is safe: readJson bounds it, and the handler reads the same cached text.
    const body = await readJson(c, false);
    if (!body.ok) return body.response;
    return changesOnlyPercent(body.body) ? next() : refuse(c, "admin", "A PATCH of fields other than percent");
  };
}
