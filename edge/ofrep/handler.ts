/**
 * The OFREP v1 endpoints (OpenFeature Remote Evaluation Protocol) on the router, for code that is
 * not behind the proxy (queue consumers, SPAs, mobile apps, other Workers):
 * - `POST /ofrep/v1/evaluate/flags/{key}`: one flag (the server providers);
 * - `POST /ofrep/v1/evaluate/flags`: every flag, with an ETag (the web providers);
 * - `OPTIONS` on both: the CORS preflight.
 * In order: route → authorize → read the body → read the isolate's snapshot (the proxy's
 * `SnapshotCache`: no Durable Object call per evaluation, the same freshness contract) →
 * evaluate (./evaluate.ts, the proxy's `decide`) → answer, with CORS headers for allowed origins.
 */
import type { CacheRead } from "../snapshot-cache";
import type { Authorization, Authorize } from "./auth";
import { corsHeaders, preflight, type CorsPolicy } from "./cors";
import { entityTag, noneMatchHits } from "./etag";
import { evaluateAll, evaluateFlag, type Caller } from "./evaluate";
import { parseEvaluationRequest, readBoundedText, type EvaluationContext } from "./request";
import { BULK_PATH, errorResponse, errorStatus, jsonResponse, OFREP_PREFIX, type OfrepError } from "./wire";
import type { RouterTable } from "../match";

export { OFREP_PREFIX };

export interface OfrepDeps {
  /** The isolate's snapshot cache (only `read`: the handler never refreshes on its own). */
  cache: { read(now: number, waitUntil?: (promise: Promise<unknown>) => void): CacheRead | Promise<CacheRead> };
  authorize: Authorize;
  cors: CorsPolicy;
  clock: () => number;
  waitUntil?: (promise: Promise<unknown>) => void;
  log?: (line: Record<string, unknown>) => void;
}

/** Whether a (normalised) path is OFREP's: those paths are answered here and never proxied. */
export function isOfrepPath(path: string): boolean {
  return path === OFREP_PREFIX || path.startsWith(`${OFREP_PREFIX}/`);
}

type Endpoint = { kind: "bulk" } | { kind: "flag"; key: string } | { kind: "unknown" };

const FLAG_PATH = /^\/ofrep\/v1\/evaluate\/flags\/([^/]+)$/;

function endpointOf(path: string): Endpoint {
  if (path === BULK_PATH) return { kind: "bulk" };
  const match = path.match(FLAG_PATH);
  if (!match) return { kind: "unknown" };
  let key = match[1]!;
  try {
    key = decodeURIComponent(key);
  } catch {
    // Not valid percent-encoding: the key stays as sent, and matches no rollout id.
  }
  return { kind: "flag", key };
}

/** Answers a request whose normalised path `path` is under /ofrep/v1. */
export async function handleOfrep(request: Request, path: string, deps: OfrepDeps): Promise<Response> {
  if (request.method === "OPTIONS") return preflight(request, deps.cors);
  const cors = corsHeaders(request, deps.cors);
  const response = await answer(request, endpointOf(path), deps);
  for (const [name, value] of Object.entries(cors)) response.headers.set(name, value);
  return response;
}

async function answer(request: Request, endpoint: Endpoint, deps: OfrepDeps): Promise<Response> {
  if (endpoint.kind === "unknown") return jsonResponse(404, { errorCode: "GENERAL", errorDetails: `OFREP answers POST ${BULK_PATH} and POST ${BULK_PATH}/{key} only.` });
  if (request.method !== "POST") return jsonResponse(405, { errorCode: "GENERAL", errorDetails: "OFREP evaluates with POST." }, { allow: "POST, OPTIONS" });
  const key = endpoint.kind === "flag" ? endpoint.key : undefined;
  const verdict = await deps.authorize(request);
  if (!verdict.ok) return unauthorized(verdict, key);
  const parsed = parseEvaluationRequest(await readBoundedText(request));
  if (!parsed.ok) return errorResponse(parsed.error, key);
  const read = await deps.cache.read(deps.clock(), deps.waitUntil);
  if (read.kind !== "table") return noConfig(read, key, deps);
  const caller: Caller = { name: verdict.name, vouchesForIdentity: verdict.vouchesForIdentity ?? true };
  if (key !== undefined) {
    const result = evaluateFlag(read.table, key, parsed.context, caller);
    return "errorCode" in result ? jsonResponse(errorStatus(result.errorCode), result) : jsonResponse(200, result);
  }
  return bulk(request, read.table, parsed.context, caller);
}

/** Every flag; 304 with no body when the caller's `If-None-Match` already names this answer. */
async function bulk(request: Request, table: RouterTable, context: EvaluationContext, caller: Caller): Promise<Response> {
  const body = JSON.stringify(evaluateAll(table, context, caller));
  const etag = await entityTag(body);
  if (noneMatchHits(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers: { etag, "cache-control": "no-store" } });
  return new Response(body, { status: 200, headers: { "content-type": "application/json", "cache-control": "no-store", etag } });
}

/** 401 (with the RFC 6750 challenge) or 403, with an OFREP-shaped body for people reading it. */
function unauthorized(verdict: Extract<Authorization, { ok: false }>, key: string | undefined): Response {
  const body = { ...(key === undefined ? {} : { key }), errorCode: "GENERAL", errorDetails: verdict.detail };
  return jsonResponse(verdict.status, body, verdict.status === 401 ? { "www-authenticate": 'Bearer realm="ofrep"' } : {});
}

/**
 * No snapshot to evaluate on: a 500 GENERAL, so a provider falls back to the code's default (the
 * proxy meanwhile routes everyone to legacy, or answers 503 when it is not configured).
 */
function noConfig(read: Exclude<CacheRead, { kind: "table" }>, key: string | undefined, deps: OfrepDeps): Response {
  const error: OfrepError =
    read.kind === "unconfigured"
      ? { code: "GENERAL", detail: `The router is not configured: ${read.problems.map((p) => p.message).join(" ")}` }
      : { code: "GENERAL", detail: "The router has not reached its control plane yet, so it knows no flags; the proxy routes every user to legacy meanwhile." };
  deps.log?.({ event: "ofrep-no-config", kind: read.kind, ...(read.kind === "unavailable" ? { error: read.error } : {}) });
  return errorResponse(error, key);
}
