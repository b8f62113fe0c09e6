/**
 * The admin API as the dashboard calls it: the bearer token from this tab's sessionStorage (never
 * a cookie or a URL), JSON in and out, problems (RFC 9457) on failure, If-Match on writes.
 */
import type { AuditPage, HealthReport, Problem, RolloutList, ShadowReport, Whoami, WriteReply } from "./wire";

/** sessionStorage key of the token; the browser test reads it. */
export const TOKEN_KEY = "edge-router-admin-token";
/** Health window shown on each card, in seconds. */
export const HEALTH_WINDOW_SECONDS = 60;
/** Shadow results shown on each card: the last five minutes, in seconds. */
export const SHADOW_WINDOW_SECONDS = 300;
/** Audit entries shown. */
export const AUDIT_ROWS = 25;

export const loadToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const saveToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** A reply: the parsed body when 2xx, the problem otherwise (a non-JSON body becomes its `detail`). */
export type ApiReply<T> = { ok: true; status: number; data: T } | { ok: false; status: number; problem: Partial<Problem> };

/** One write, as an action describes it. */
export interface WriteRequest {
  method: "POST" | "PATCH" | "PUT" | "DELETE";
  /** Below the API prefix, e.g. `/rollouts/checkout/kill`. */
  path: string;
  body?: unknown;
  /** The rollout version the operator saw; the server answers 412 when it moved on. */
  ifMatch?: number;
}

/** The API path of one rollout. */
export const rolloutPath = (id: string): string => `/rollouts/${encodeURIComponent(id)}`;

function parse(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text };
  }
}

/**
 * The calls the dashboard makes. `token` is read on every call, so signing in again takes effect
 * at once. Rejects only when the router does not answer at all.
 */
export function adminApi(prefix: string, token: () => string | null) {
  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiReply<T>> {
    const init: RequestInit & { headers: Record<string, string> } = { method, headers: { authorization: `Bearer ${token() ?? ""}`, ...headers } };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(prefix + path, init);
    const data = parse(await res.text());
    // The wire types mirror the server (wire.ts); the body is trusted to match them.
    if (res.ok) return { ok: true, status: res.status, data: data as T };
    return { ok: false, status: res.status, problem: (typeof data === "object" && data !== null ? data : {}) as Partial<Problem> };
  }
  return {
    /** Shown to operators in the "no rollouts yet" hint. */
    prefix,
    /** Who the token is (any valid token may ask): shown in the header. */
    whoami: () => call<Whoami>("GET", "/whoami"),
    listRollouts: () => call<RolloutList>("GET", "/rollouts"),
    health: (id: string) => call<HealthReport>("GET", `${rolloutPath(id)}/health?window=${HEALTH_WINDOW_SECONDS}`),
    shadow: (id: string) => call<ShadowReport>("GET", `${rolloutPath(id)}/shadow?window=${SHADOW_WINDOW_SECONDS}`),
    audit: () => call<AuditPage>("GET", `/audit?limit=${AUDIT_ROWS}`),
    write: (req: WriteRequest) => call<WriteReply>(req.method, req.path, req.body, req.ifMatch === undefined ? {} : { "if-match": `"${req.ifMatch}"` }),
  };
}

export type AdminApi = ReturnType<typeof adminApi>;
