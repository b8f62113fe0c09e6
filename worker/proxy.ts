/**
 * Forwarding: the request goes to the chosen origin as the client sent it (method, path, query,
 * headers, streamed body, WebSocket upgrades), and the origin's response comes back as it was sent
 * (status, headers, streamed body, Set-Cookie, redirects not followed).
 */
import type { Variant } from "./core/decide";

/** Our token in the `CDN-Loop` header (RFC 8586): a request that already carries it is a loop. */
export const LOOP_TOKEN = "edge-router";

/** Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not forward. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];

/** Headers only the router may set or read: dropped from what the client sent. */
export const ROUTER_HEADERS = ["x-rollout-id", "x-rollout-variant", "x-rollout-debug", "x-rollout-token", "x-rollout-override"];

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
export function upstreamUrl(url: URL, origin: URL): URL {
  const target = new URL(origin.href);
  const base = target.pathname.endsWith("/") ? target.pathname.slice(0, -1) : target.pathname;
  target.pathname = base + url.pathname;
  target.search = url.search;
  return target;
}

export interface ForwardContext {
  rolloutId: string | null;
  variant: Variant;
  clientIp: string | null;
  /** Remove the admin token from `Authorization` before it reaches an origin. */
  stripAuthorization: boolean;
}

/** The headers the origin receives. */
export function upstreamHeaders(request: Request, url: URL, ctx: ForwardContext): Headers {
  const headers = new Headers(request.headers);
  const websocket = isWebSocketUpgrade(request.headers);
  const connectionListed = (request.headers.get("connection") ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...connectionListed]) {
    if (websocket && (name === "upgrade" || name === "connection")) continue;
    headers.delete(name);
  }
  for (const name of ROUTER_HEADERS) headers.delete(name);
  headers.delete("host");
  if (ctx.stripAuthorization) headers.delete("authorization");

  const priorFor = request.headers.get("x-forwarded-for");
  if (ctx.clientIp) headers.set("x-forwarded-for", priorFor ? `${priorFor}, ${ctx.clientIp}` : ctx.clientIp);
  if (!request.headers.has("x-forwarded-host")) headers.set("x-forwarded-host", url.host);
  if (!request.headers.has("x-forwarded-proto")) headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
  const loop = request.headers.get("cdn-loop");
  headers.set("cdn-loop", loop ? `${loop}, ${LOOP_TOKEN}` : LOOP_TOKEN);
  if (ctx.rolloutId) headers.set("x-rollout-id", ctx.rolloutId);
  headers.set("x-rollout-variant", ctx.variant);
  return headers;
}

/** Send `request` to `origin`. Throws when the origin cannot be reached. */
export function forward(request: Request, url: URL, origin: URL, ctx: ForwardContext, fetcher: typeof fetch = fetch): Promise<Response> {
  const init: RequestInit = {
    method: request.method,
    headers: upstreamHeaders(request, url, ctx),
    redirect: "manual",
  };
  if (request.body !== null) init.body = request.body;
  return fetcher(upstreamUrl(url, origin).href, init);
}

/** A copy of `response` whose headers can be changed, body still streamed (WebSockets kept). */
export function mutableResponse(response: Response): Response {
  if (response.webSocket) {
    return new Response(null, { status: response.status, statusText: response.statusText, headers: new Headers(response.headers), webSocket: response.webSocket });
  }
  return new Response(response.body, response);
}
