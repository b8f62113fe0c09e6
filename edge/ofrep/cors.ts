/**
 * CORS for the OFREP web provider on another origin than the router's host, for the origins the
 * operator lists in `OFREP_CORS_ORIGINS` (comma-separated, e.g.
 * `https://app.example.com,http://localhost:5173`) and no others; none listed = no CORS headers at
 * all (a page on the site's own host needs none). No I/O.
 *
 * The provider sends `Authorization`, `Content-Type: application/json` and `If-None-Match`, so
 * every browser call is preceded by a preflight; it must read `ETag` (to revalidate) and
 * `Retry-After` (after a 429), so both are exposed. No credentials mode: the token travels in
 * `Authorization`, never in a cookie.
 */

/** The origins allowed to call OFREP from a browser (serialised origins, e.g. `https://app.example.com`). */
export interface CorsPolicy {
  origins: ReadonlySet<string>;
}

/** Browsers may cache a preflight this long (Chromium caps it at 2 hours). */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;

export const ALLOWED_METHODS = "POST";
export const ALLOWED_HEADERS = "Content-Type, Authorization, If-None-Match";
export const EXPOSED_HEADERS = "ETag, Retry-After";

/** No origin allowed. */
export const NO_CORS: CorsPolicy = { origins: new Set() };

/**
 * Reads `OFREP_CORS_ORIGINS`. Each entry must be an http(s) origin without path, query or
 * credentials; entries that are not are left out and named in `problems`.
 *
 * @example readCorsOrigins("https://App.example.com, http://127.0.0.1:5173/").policy.origins
 * // Set { "https://app.example.com", "http://127.0.0.1:5173" }
 */
export function readCorsOrigins(value: string | undefined): { policy: CorsPolicy; problems: string[] } {
  const origins = new Set<string>();
  const problems: string[] = [];
  for (const raw of (value ?? "").split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const origin = originOf(entry);
    if (origin) origins.add(origin);
    else
      problems.push(
        `OFREP_CORS_ORIGINS: ${JSON.stringify(entry)} is not an origin; list origins like https://app.example.com (scheme, host and port only; "*" is not accepted). It is ignored.`,
      );
  }
  return { policy: { origins }, problems };
}

function originOf(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) return undefined;
  return url.origin;
}

/** The request's `Origin` when the policy allows it. */
function allowedOrigin(request: Request, policy: CorsPolicy): string | undefined {
  if (policy.origins.size === 0) return undefined;
  const origin = request.headers.get("origin");
  return origin !== null && policy.origins.has(origin) ? origin : undefined;
}

/**
 * The headers to add to an OFREP answer: for an allowed origin, that origin and the exposed
 * headers; with any policy configured, `Vary: Origin` (the answer depends on it).
 */
export function corsHeaders(request: Request, policy: CorsPolicy): Record<string, string> {
  if (policy.origins.size === 0) return {};
  const origin = allowedOrigin(request, policy);
  if (!origin) return { vary: "Origin" };
  return { "access-control-allow-origin": origin, "access-control-expose-headers": EXPOSED_HEADERS, vary: "Origin" };
}

/** The answer to a preflight (`OPTIONS`): permission for an allowed origin, nothing otherwise. */
export function preflight(request: Request, policy: CorsPolicy): Response {
  const headers: Record<string, string> = { allow: `${ALLOWED_METHODS}, OPTIONS`, "cache-control": "no-store" };
  if (policy.origins.size) headers.vary = "Origin";
  const origin = allowedOrigin(request, policy);
  if (origin) {
    headers["access-control-allow-origin"] = origin;
    headers["access-control-allow-methods"] = ALLOWED_METHODS;
    headers["access-control-allow-headers"] = ALLOWED_HEADERS;
    headers["access-control-max-age"] = String(PREFLIGHT_MAX_AGE_SECONDS);
  }
  return new Response(null, { status: 204, headers });
}
