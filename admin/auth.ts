/**
 * Who may use the admin API: the bearer token, compared in constant time; with no ADMIN_TOKEN
 * configured the API is closed (401 to everyone), never open. Sets the audit actor.
 */
import type { MiddlewareHandler } from "hono";
import { ActorSchema } from "../contracts/admin-wire";
import { problemResponse } from "../contracts/problem";
import { bearerToken, isAdminToken } from "../contracts/secrets";
import type { AdminEnv } from "./http";

export function requireAdmin(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const token = c.env.ADMIN_TOKEN;
    const presented = bearerToken(c.req.header("authorization") ?? null);
    if (!(await isAdminToken(presented, token))) {
      const detail = !token
        ? "The admin API is closed: no ADMIN_TOKEN is configured (wrangler secret put ADMIN_TOKEN, or .dev.vars locally)."
        : presented
          ? "The bearer token is not the admin token."
          : "Send Authorization: Bearer <ADMIN_TOKEN>.";
      return problemResponse(401, "unauthorized", "Unauthorized", detail, {}, { "www-authenticate": 'Bearer realm="edge-router admin"' });
    }
    const actor = c.req.header("x-actor");
    if (actor !== undefined && !ActorSchema.safeParse(actor).success) {
      return problemResponse(400, "invalid-actor", "Invalid X-Actor", "X-Actor names who makes the change in the audit log: 1-100 letters, digits, spaces and . @ + - _.");
    }
    c.set("actor", actor ?? "admin");
    await next();
    c.header("cache-control", "no-store");
  };
}
