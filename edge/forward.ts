/**
 * Forwarding: the request goes to the chosen origin as the client sent it (method, path, query,
 * headers, streamed body, WebSocket upgrades), and the origin's response comes back as it was sent
 * (status, headers, streamed body, Set-Cookie, redirects not followed).
 */
import type { Variant } from "../contracts/decision";
import { OVERRIDE_COOKIE } from "./override";
import type { ProxyError } from "./problems";

/** Our token in the `CDN-Loop` header (RFC 8586): a request that already carries it is a loop. */
export const LOOP_TOKEN = "edge-router";

/** Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not forward. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];

/**
 * Headers only the router may set or read: dropped from what the client sent. `x-rollout-shadow`
 * marks a mirror (edge/shadow/headers.ts), which an origin may keep out of side effects: a client
 * must not pass a real request off as one.
 */
export const ROUTER_HEADERS = ["x-rollout-id", "x-rollout-variant", "x-rollout-debug", "x-rollout-token", "x-rollout-override", "x-rollout-shadow"];

/** Whether this request already passed through an edge-router (a routing loop). */
export function isLoop(headers: Headers): boolean {
  const cdnLoop = headers.get("cdn-loop");
  if (!cdnLoop) return false;
  return cdnLoop.split(",").some((entry) => entry.trim().split(";")[0]!.trim().toLowerCase() === LOOP_TOKEN);
}

/** Whether the client asks for a WebSocket upgrade. */
export function isWebSocketUpgrade(headers: Headers): boolean {
  return headers.get("upgrade")?.toLowerCase() === "websocket";
}

/** The URL on `origin` for the incoming `url`: the origin's path prefix, then the request's path and query. */
export function upstreamUrl(url: URL, origin: URL): string {
  return originBase(origin) + url.pathname + url.search;
}

const bases = new WeakMap<URL, string>();

/** `https://host[:port][/prefix]` without a trailing slash, computed once per origin URL. */
function originBase(origin: URL): string {
  let base = bases.get(origin);
  if (base === undefined) {
    base = origin.origin + (origin.pathname.endsWith("/") ? origin.pathname.slice(0, -1) : origin.pathname);
    bases.set(origin, base);
  }
  return base;
}

export interface ForwardContext {
  rolloutId: string | null;
  variant: Variant;
  /** The client's address as Cloudflare saw it (`CF-Connecting-IP`); the only X-Forwarded-For the origin gets. */
  clientIp: string | null;
  /** Remove `Authorization` before it reaches an origin (it carries the router's own admin token). */
  stripAuthorization: boolean;
}

/**
 * Headers an origin may trust as facts about the client or the request's path, which the router as
 * the first hop sets itself or drops: what a client sends in them is never passed on.
 */
const SPOOFABLE = [
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-forwarded-prefix",
  "x-forwarded-server",
  "x-real-ip",
  "x-client-ip",
  "true-client-ip",
  "x-original-url",
  "x-rewrite-url",
];

const DROPPED = new Set([...HOP_BY_HOP, ...ROUTER_HEADERS, ...SPOOFABLE, "host"]);

/** `cookie` without the router's own override cookie (most requests: unchanged, no allocation). */
export function withoutRouterCookies(cookie: string): string | undefined {
  if (!cookie.includes(OVERRIDE_COOKIE)) return cookie;
  const kept = cookie
    .split(";")
    .filter((part) => part.split("=", 1)[0]!.trim() !== OVERRIDE_COOKIE)
    .join(";")
    .trim();
  return kept === "" ? undefined : kept;
}

/**
 * The headers the origin receives: one pass over the client's, dropping hop-by-hop headers, the
 * router's own headers and anything a client could use to lie about itself; then ours, set as the
 * first hop: X-Forwarded-For (CF-Connecting-IP only), X-Forwarded-Host/-Proto (what the router
 * saw), CDN-Loop, x-rollout-id, x-rollout-variant.
 */
export function upstreamHeaders(request: Request, url: URL, ctx: ForwardContext): Headers {
  const incoming = request.headers;
  const websocket = isWebSocketUpgrade(incoming);
  const connection = incoming.get("connection");
  const listed = connection
    ? new Set(
        connection
          .split(",")
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean),
      )
    : undefined;
  const headers = new Headers();
  let loop: string | null = null;
  for (const [name, value] of incoming) {
    if (websocket && (name === "upgrade" || name === "connection")) {
      headers.append(name, value);
      continue;
    }
    if (DROPPED.has(name) || listed?.has(name) || (ctx.stripAuthorization && name === "authorization")) continue;
    if (name === "cdn-loop") loop = value;
    else if (name === "cookie") {
      const kept = withoutRouterCookies(value);
      if (kept !== undefined) headers.append(name, kept);
    } else headers.append(name, value);
  }
  if (ctx.clientIp) headers.set("x-forwarded-for", ctx.clientIp);
  headers.set("x-forwarded-host", url.host);
  headers.set("x-forwarded-proto", url.protocol === "https:" ? "https" : "http");
  headers.set("cdn-loop", loop ? `${loop}, ${LOOP_TOKEN}` : LOOP_TOKEN);
  if (ctx.rolloutId) headers.set("x-rollout-id", ctx.rolloutId);
  headers.set("x-rollout-variant", ctx.variant);
  return headers;
}

/** Thrown when an origin has not answered within the rollout's `timeoutMs`. */
export class OriginTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no response headers within ${timeoutMs} ms`);
  }
}

/** Send `request` to `origin`. Throws when the origin cannot be reached. */
export function forward(request: Request, url: URL, origin: URL, ctx: ForwardContext, fetcher: typeof fetch = fetch, timeoutMs?: number): Promise<Response> {
  const init: RequestInit = {
    method: request.method,
    headers: upstreamHeaders(request, url, ctx),
    redirect: "manual",
  };
  if (request.body !== null) init.body = request.body;
  if (!timeoutMs) return fetcher(upstreamUrl(url, origin), init);
  // The timeout covers the wait for the response headers only: a long streamed body or a
  // WebSocket is not cut off once the origin has answered.
  const abort = new AbortController();
  init.signal = abort.signal;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new OriginTimeout(timeoutMs));
      abort.abort();
    }, timeoutMs);
  });
  return Promise.race([fetcher(upstreamUrl(url, origin), init), timedOut]).finally(() => clearTimeout(timer));
}

/** A copy of `response` whose headers can be changed, body still streamed (WebSockets kept). */
export function mutableResponse(response: Response): Response {
  if (response.webSocket) {
    return new Response(null, { status: response.status, statusText: response.statusText, headers: new Headers(response.headers), webSocket: response.webSocket });
  }
  return new Response(response.body, response);
}

/** How forwarding ended: an origin answered (maybe legacy, after new failed), or none did. */
export type ForwardOutcome = { kind: "answered"; response: Response; retriedOnLegacy: boolean; error?: string } | { kind: "failed"; error: ProxyError; message: string };

export interface FallbackPlan {
  /** The chosen origin. */
  origin: URL;
  /** Legacy, when a failed connection to new may be retried there; otherwise undefined. */
  retryOn: URL | undefined;
  rolloutId: string | null;
  variant: Variant;
  timeoutMs: number | undefined;
}

/**
 * Forwards to the chosen origin; a connection failure on new is retried once on legacy when the
 * plan allows it. A timeout is never retried: the origin may have acted on the request.
 */
export async function forwardWithFallback(request: Request, url: URL, plan: FallbackPlan, ctx: ForwardContext, fetcher?: typeof fetch): Promise<ForwardOutcome> {
  try {
    return { kind: "answered", response: await forward(request, url, plan.origin, ctx, fetcher, plan.timeoutMs), retriedOnLegacy: false };
  } catch (e) {
    const timedOut = e instanceof OriginTimeout;
    const message = `${plan.variant} origin ${timedOut ? "timed out" : "unreachable"}: ${errorText(e)}`;
    if (timedOut) return { kind: "failed", error: { kind: "origin-timeout", rollout: plan.rolloutId, variant: plan.variant, timeoutMs: plan.timeoutMs! }, message };
    if (plan.retryOn) {
      try {
        const response = await forward(request, url, plan.retryOn, { ...ctx, variant: "legacy" }, fetcher, plan.timeoutMs);
        return { kind: "answered", response, retriedOnLegacy: true, error: message };
      } catch (e2) {
        return {
          kind: "failed",
          error: { kind: "origin-unreachable", rollout: plan.rolloutId, variant: plan.variant },
          message: `${message}; legacy retry failed: ${errorText(e2)}`,
        };
      }
    }
    return { kind: "failed", error: { kind: "origin-unreachable", rollout: plan.rolloutId, variant: plan.variant }, message };
  }
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
