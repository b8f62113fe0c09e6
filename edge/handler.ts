/**
 * The request path, in order: read the isolate's snapshot → match, identify, decide (./route.ts)
 * → forward, with the legacy fallback (./forward.ts) → mirror to new when shadowing
 * (./shadow/mirror.ts) → answer → record (./record.ts). Each step is its own function; this file
 * only wires them.
 */
import type { MetricsSink, RequestRecord } from "../contracts/metrics-sink";
import type { EnvConfig } from "../contracts/vars";
import { bearerToken, isAdminBearer, isAdminToken } from "../contracts/secrets";
import { parseToken } from "../contracts/tokens";
import { forwardWithFallback, isLoop, mutableResponse, type ForwardOutcome } from "./forward";
import { proxyProblem } from "./problems";
import { describeDecision, logText } from "./record";
import { FAIL_SAFE_ROUTE, routeRequest, type Route, type RouteDeps } from "./route";
import { startMirror, type ShadowRuntime } from "./shadow/mirror";
import type { SnapshotCache } from "./snapshot-cache";
import { ANONYMOUS_ID_COOKIE } from "./decide";

/** Anonymous id cookies live this long (400 days, the longest browsers keep a cookie). */
export const ANONYMOUS_ID_MAX_AGE_SECONDS = 400 * 24 * 3600;

export interface ProxyDeps extends RouteDeps {
  cache: SnapshotCache;
  envConfig: EnvConfig;
  sink: MetricsSink;
  adminToken: string | undefined;
  /** Events (a misconfiguration, the control plane unavailable), as objects. */
  log: (line: Record<string, unknown>) => void;
  /** The one JSON line per proxied request (edge/record.ts `logText`), as text. */
  logText: (text: string) => void;
  fetcher?: typeof fetch;
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Per-variant health counting (batched in the isolate, flushed in the background). */
  health?: (record: RequestRecord) => void;
  /** Shadow traffic (the isolate's mirror slots and counts); without it nothing is mirrored. */
  shadow?: ShadowRuntime;
}

interface Debug {
  /** The caller asked for the decision header and proved it holds the admin token. */
  allowed: boolean;
  /** `Authorization` carries the admin token, which must not reach the origin. */
  adminAuthorization: boolean;
}

/** Methods that are safe to send again to another backend (RFC 9110 §9.2.1): nothing is changed. */
const SAFE_TO_REPEAT = new Set(["GET", "HEAD", "OPTIONS"]);

/** `path`: the request's normalised path (contracts/paths.ts), when the caller has it already. */
export async function handleProxy(request: Request, deps: ProxyDeps, url = new URL(request.url), path?: string): Promise<Response> {
  const started = deps.clock();
  if (isLoop(request.headers)) return proxyProblem({ kind: "loop" });

  const read = await deps.cache.read(started, deps.waitUntil);
  if (read.kind === "unconfigured")
    return misconfigured(
      deps,
      read.problems.map((p) => p.message),
    );
  let route: Route;
  if (read.kind === "unavailable") {
    route = FAIL_SAFE_ROUTE;
    deps.log({ event: "control-plane-unavailable", error: read.error, servingVersion: null, action: "routing to LEGACY_ORIGIN" });
  } else {
    route = await routeRequest(request, url, read.table, read.stale, deps, path);
  }

  const legacy = route.rollout?.origins.legacy ?? deps.envConfig.legacyOrigin;
  if (!legacy) return misconfigured(deps, ["No rollout matches this request and LEGACY_ORIGIN, where such requests go, is not set or invalid."]);
  const { variant, rolloutId } = route.decision;
  const toNew = variant === "new" && route.rollout !== undefined;
  const debug = await adminCredentials(request, deps.adminToken);
  const outcome = await forwardWithFallback(
    request,
    url,
    {
      origin: toNew ? route.rollout!.origins.new : legacy,
      // Repeating a request on another backend is only safe for a method that changes nothing
      // (a body-less POST or DELETE may already have acted on new).
      retryOn: toNew && route.rollout!.retryOnLegacy && SAFE_TO_REPEAT.has(request.method) && request.body === null ? legacy : undefined,
      rolloutId,
      variant,
      timeoutMs: route.rollout?.timeoutMs,
    },
    { rolloutId, variant, clientIp: request.headers.get("cf-connecting-ip"), stripAuthorization: debug.adminAuthorization },
    deps.fetcher,
  );
  const latencyMs = deps.clock() - started;
  const response = answer(mirrored(request, url, route, outcome, latencyMs, debug, deps), route, debug);
  record(request, url, route, outcome, response, latencyMs, deps);
  return response;
}

/** 3½. Legacy's answer, with its mirror to new started in the background when shadowing applies. */
function mirrored(request: Request, url: URL, route: Route, outcome: ForwardOutcome, latencyMs: number, debug: Debug, deps: ProxyDeps): ForwardOutcome {
  if (!deps.shadow || !deps.waitUntil || outcome.kind !== "answered" || outcome.retriedOnLegacy) return outcome;
  const mirror = { request, url, route, response: outcome.response, legacyLatencyMs: latencyMs, stripAuthorization: debug.adminAuthorization };
  const response = startMirror(mirror, { shadow: deps.shadow, clock: deps.clock, waitUntil: deps.waitUntil, fetcher: deps.fetcher });
  return response === outcome.response ? outcome : { ...outcome, response };
}

/** 4. The client's answer: the origin's response as it came, plus our cookie or debug header if any. */
function answer(outcome: ForwardOutcome, route: Route, debug: Debug): Response {
  if (outcome.kind === "failed") return proxyProblem(outcome.error);
  if (route.newAnonymousCookie === undefined && !debug.allowed) return outcome.response;
  const response = mutableResponse(outcome.response);
  if (route.newAnonymousCookie) {
    response.headers.append("set-cookie", `${ANONYMOUS_ID_COOKIE}=${route.newAnonymousCookie}; Path=/; Max-Age=${ANONYMOUS_ID_MAX_AGE_SECONDS}; HttpOnly; Secure; SameSite=Lax`);
  }
  if (debug.allowed) response.headers.set("x-rollout-decision", describeDecision(route.decision, route.configVersion));
  return response;
}

/** 5. One data point, one log line, one health count. */
function record(request: Request, url: URL, route: Route, outcome: ForwardOutcome, response: Response, latencyMs: number, deps: ProxyDeps): void {
  const cf = request.cf as { colo?: string; country?: string } | undefined;
  const length = response.headers.get("content-length");
  const error = outcome.kind === "failed" ? outcome.message : outcome.error;
  const entry: RequestRecord = {
    decision: route.decision,
    method: request.method,
    host: url.host,
    path: url.pathname,
    pathPrefix: route.pathPrefix,
    status: outcome.kind === "failed" ? 0 : response.status,
    latencyMs,
    colo: cf?.colo ?? "",
    country: cf?.country ?? "",
    responseBytes: length !== null && /^\d+$/.test(length) ? Number(length) : null,
    configVersion: route.configVersion,
    stale: route.stale,
    retriedOnLegacy: outcome.kind === "answered" && outcome.retriedOnLegacy,
    ...(error ? { error } : {}),
  };
  deps.sink.write(entry);
  const sample = deps.envConfig.requestLogSample;
  if (sample >= 1 || hasProblem(entry) || Math.random() < sample) {
    deps.logText(logText(entry));
  }
  deps.health?.(entry);
}

/** A request whose log line sampling never drops: something went wrong or the config was not current. */
function hasProblem(entry: RequestRecord): boolean {
  return entry.status === 0 || entry.status >= 500 || entry.error !== undefined || entry.retriedOnLegacy || entry.stale || entry.configVersion === null;
}

function misconfigured(deps: ProxyDeps, problems: string[]): Response {
  deps.log({ event: "misconfigured", problems });
  return proxyProblem({ kind: "misconfigured", problems });
}

/**
 * What the request proves about the admin token: the debug header needs it (in `x-rollout-token`
 * or `Authorization`), and an `Authorization` that carries it must never reach an origin, debug or
 * not (a client that pastes its admin token into the wrong tab must not hand it to an app). Nor
 * must one that carries a named token (`er_<id>_<secret>`, told by its shape alone, valid or not).
 */
function adminCredentials(request: Request, adminToken: string | undefined): Debug | Promise<Debug> {
  const authorization = request.headers.get("authorization");
  const wantsDebug = request.headers.get("x-rollout-debug") === "1";
  // Most requests carry neither: answered without a promise.
  if (authorization === null && !wantsDebug) return NO_DEBUG;
  return checkCredentials(request, authorization, wantsDebug, adminToken);
}

const NO_DEBUG: Debug = { allowed: false, adminAuthorization: false };

async function checkCredentials(request: Request, authorization: string | null, wantsDebug: boolean, adminToken: string | undefined): Promise<Debug> {
  const bearer = bearerToken(authorization);
  const adminAuthorization = (bearer !== undefined && parseToken(bearer) !== undefined) || (await isAdminBearer(bearer, adminToken));
  if (!wantsDebug) return { allowed: false, adminAuthorization };
  const allowed = adminAuthorization || (await isAdminToken(request.headers.get("x-rollout-token") ?? undefined, adminToken));
  return { allowed, adminAuthorization };
}
