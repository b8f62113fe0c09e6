/**
 * The hot path: read the isolate's config snapshot, match, identify, decide, forward, record.
 * Everything that can be decided without I/O is in ./core; this file wires it to the request.
 */
import { ANONYMOUS_ID_COOKIE, decide, identify, NO_CONFIG_DECISION, NO_ROLLOUT_DECISION, type Decision } from "./decide";
import type { EnvConfig } from "../contracts/vars";
import { readCookie } from "./cookies";
import { matchRollout, type CompiledRollout } from "./match";
import { bearerToken, isAdminToken } from "../contracts/secrets";
import { OVERRIDE_COOKIE, OVERRIDE_HEADER, verifyOverride } from "./override";
import { forward, isLoop, mutableResponse, OriginTimeout } from "./forward";
import { problemResponse } from "../contracts/problem";
import type { MetricsSink, RequestRecord } from "../contracts/metrics-sink";
import { describeDecision, logLine } from "./record";
import type { SnapshotCache } from "./snapshot-cache";

/** Anonymous id cookies live this long (400 days, the longest browsers keep a cookie). */
export const ANONYMOUS_ID_MAX_AGE_SECONDS = 400 * 24 * 3600;

export interface ProxyDeps {
  cache: SnapshotCache;
  envConfig: EnvConfig;
  sink: MetricsSink;
  adminToken: string | undefined;
  overrideSecret: string | undefined;
  log: (line: Record<string, unknown>) => void;
  clock: () => number;
  randomId: () => string;
  fetcher?: typeof fetch;
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Per-variant health counting (batched in the isolate, flushed in the background). */
  health?: (record: RequestRecord) => void;
}

interface Route {
  decision: Decision;
  rollout: CompiledRollout | undefined;
  pathPrefix: string;
  configVersion: number | null;
  stale: boolean;
  newAnonymousId: string | undefined;
}

export async function handleProxy(request: Request, deps: ProxyDeps, url = new URL(request.url)): Promise<Response> {
  const started = deps.clock();
  if (isLoop(request.headers)) {
    return problemResponse(508, "loop-detected", "Loop detected", "This request already passed through edge-router (CDN-Loop: edge-router): an origin points back at the router.");
  }

  const read = await deps.cache.read(started, deps.waitUntil);
  if (read.kind === "unconfigured") return misconfigured(deps, read.problems.map((p) => p.message));

  let route: Route;
  if (read.kind === "unavailable") {
    // Fail safe: never reached the control plane, so everyone goes to legacy.
    route = { decision: NO_CONFIG_DECISION, rollout: undefined, pathPrefix: "", configVersion: null, stale: true, newAnonymousId: undefined };
    deps.log({ event: "control-plane-unavailable", error: read.error, servingVersion: null, action: "routing to LEGACY_ORIGIN" });
  } else {
    const match = matchRollout(read.table, url.hostname, url.pathname);
    const rollout = match?.rollout;
    let decision = NO_ROLLOUT_DECISION;
    let newAnonymousId: string | undefined;
    if (rollout) {
      let identity = identify(rollout, request.headers);
      if (!identity) {
        newAnonymousId = deps.randomId();
        identity = { userId: newAnonymousId, source: "new-anonymous" };
      }
      decision = decide(read.table, rollout, identity, await readOverride(request, rollout.id, deps));
    }
    route = { decision, rollout, pathPrefix: match?.prefix ?? "", configVersion: read.table.version, stale: read.stale, newAnonymousId };
  }

  const legacy = route.rollout?.origins.legacy ?? deps.envConfig.legacyOrigin;
  if (!legacy) {
    return misconfigured(deps, ["No rollout matches this request and LEGACY_ORIGIN, where such requests go, is not set or invalid."]);
  }
  const origin = route.decision.variant === "new" && route.rollout ? route.rollout.origins.new : legacy;

  const debug = request.headers.get("x-rollout-debug") === "1" ? await debugAllowed(request, deps.adminToken) : { allowed: false, viaAuthorization: false };
  const forwardCtx = {
    rolloutId: route.decision.rolloutId,
    variant: route.decision.variant,
    clientIp: request.headers.get("cf-connecting-ip"),
    stripAuthorization: debug.viaAuthorization,
  };

  let response: Response | undefined;
  let retriedOnLegacy = false;
  let error: string | undefined;
  let timedOut = false;
  const timeoutMs = route.rollout?.timeoutMs;
  try {
    response = await forward(request, url, origin, forwardCtx, deps.fetcher, timeoutMs);
  } catch (e) {
    timedOut = e instanceof OriginTimeout;
    error = `${route.decision.variant} origin ${timedOut ? "timed out" : "unreachable"}: ${e instanceof Error ? e.message : String(e)}`;
    // A failed connection to new is retried once on legacy when repeating it is safe: the body
    // (if any) was a stream that is gone now, so only body-less requests qualify. A timeout is not
    // retried: the origin may have acted on the request.
    if (!timedOut && route.decision.variant === "new" && route.rollout?.retryOnLegacy && request.body === null) {
      retriedOnLegacy = true;
      try {
        response = await forward(request, url, legacy, { ...forwardCtx, variant: "legacy" }, deps.fetcher, timeoutMs);
      } catch (e2) {
        error += `; legacy retry failed: ${e2 instanceof Error ? e2.message : String(e2)}`;
      }
    }
  }
  const latencyMs = deps.clock() - started;

  const needsHeaders = route.newAnonymousId !== undefined || debug.allowed;
  if (!response) {
    response = timedOut
      ? problemResponse(504, "origin-timeout", "Origin timed out", `The ${route.decision.variant} origin did not answer within ${timeoutMs} ms.`, { rollout: route.decision.rolloutId, variant: route.decision.variant })
      : problemResponse(502, "origin-unreachable", "Origin unreachable", `The ${route.decision.variant} origin could not be reached.`, { rollout: route.decision.rolloutId, variant: route.decision.variant });
  } else if (needsHeaders) {
    response = mutableResponse(response);
  }
  if (route.newAnonymousId) {
    response.headers.append(
      "set-cookie",
      `${ANONYMOUS_ID_COOKIE}=${route.newAnonymousId}; Path=/; Max-Age=${ANONYMOUS_ID_MAX_AGE_SECONDS}; HttpOnly; Secure; SameSite=Lax`,
    );
  }
  if (debug.allowed) response.headers.set("x-rollout-decision", describeDecision(route.decision, route.configVersion));

  const cf = request.cf as { colo?: string; country?: string } | undefined;
  const length = response.headers.get("content-length");
  const record: RequestRecord = {
    decision: route.decision,
    method: request.method,
    host: url.host,
    path: url.pathname,
    pathPrefix: route.pathPrefix,
    status: error && !retriedOnLegacy ? 0 : response.status,
    latencyMs,
    colo: cf?.colo ?? "",
    country: cf?.country ?? "",
    responseBytes: length !== null && /^\d+$/.test(length) ? Number(length) : null,
    configVersion: route.configVersion,
    stale: route.stale,
    retriedOnLegacy,
    ...(error ? { error } : {}),
  };
  deps.sink.write(record);
  deps.log(logLine(record));
  deps.health?.(record);
  return response;
}

function misconfigured(deps: ProxyDeps, problems: string[]): Response {
  deps.log({ event: "misconfigured", problems });
  return problemResponse(503, "router-misconfigured", "The router is not configured", problems.join(" "), { problems });
}

async function readOverride(request: Request, rolloutId: string, deps: ProxyDeps) {
  const secret = deps.overrideSecret ?? deps.adminToken;
  const token = request.headers.get(OVERRIDE_HEADER) ?? readCookie(request.headers.get("cookie"), OVERRIDE_COOKIE);
  if (!secret || !token) return undefined;
  return verifyOverride(secret, token, rolloutId, Math.floor(deps.clock() / 1000));
}

async function debugAllowed(request: Request, adminToken: string | undefined): Promise<{ allowed: boolean; viaAuthorization: boolean }> {
  if (await isAdminToken(request.headers.get("x-rollout-token") ?? undefined, adminToken)) return { allowed: true, viaAuthorization: false };
  if (await isAdminToken(bearerToken(request.headers.get("authorization")), adminToken)) return { allowed: true, viaAuthorization: true };
  return { allowed: false, viaAuthorization: false };
}
