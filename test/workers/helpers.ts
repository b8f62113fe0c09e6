/** Shared helpers for the tests that run inside workerd. */
import { env, exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import type { RolloutConfigInput } from "../../contracts/rollout";

export const ADMIN_TOKEN = "test-admin-token";
export const ROUTER = "http://router.test";

/** Calls the admin API through the worker's own fetch handler. */
export function admin(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
  };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  return exports.default.fetch(`${ROUTER}/__admin/api${path}`, init);
}

// biome-ignore lint/suspicious/noExplicitAny: tests read whatever the endpoint answers
export async function adminJson<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await admin(method, path, body, headers);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** A signed identity token (HS256 with the tests' IDENTITY_JWT_SECRET) naming `sub`, valid for an hour. */
export async function identityToken(sub: string, claims: Record<string, unknown> = {}): Promise<string> {
  const key = new TextEncoder().encode(env.IDENTITY_JWT_SECRET);
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt().setExpirationTime("1h").sign(key);
}

/** Stickiness that reads a verified user from `Authorization: Bearer <jwt>`, then the claimed `x-user-id`. */
export const VERIFIED_STICKINESS = [{ jwt: { header: "authorization" } }, { header: "x-user-id" }];

/** Sends a request through the router as a user. */
export function proxied(path: string, init: RequestInit & { user?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.user) headers.set("x-user-id", init.user);
  if (!headers.has("accept")) headers.set("accept", "application/json");
  return exports.default.fetch(`${ROUTER}${path}`, { redirect: "manual", ...init, headers });
}

export interface Echo {
  origin: "legacy" | "new";
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

export async function echo(path: string, init: RequestInit & { user?: string } = {}): Promise<Echo> {
  const res = await proxied(path, init);
  if (res.status !== 200) throw new Error(`expected 200 from ${path}, got ${res.status}: ${await res.text()}`);
  return res.json<Echo>();
}

/**
 * Replaces the `default` rollout with a known config (the tests share one Durable Object per file).
 * A replace never clears a kill, so any kill is resumed first.
 */
export async function resetDefault(overrides: Partial<RolloutConfigInput> = {}): Promise<number> {
  await admin("POST", "/resume");
  if (overrides.killed !== true) await admin("POST", "/rollouts/default/resume");
  const { status, body } = await adminJson("PUT", "/rollouts/default", {
    origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN },
    percent: 0,
    ...overrides,
  });
  if (status !== 200 && status !== 201) throw new Error(`reset failed: ${status} ${JSON.stringify(body)}`);
  return body.version;
}
