/**
 * Steps 1-3 of the request path: match the request to a rollout, identify the user, decide the
 * variant. Everything here reads the request and the compiled table; nothing waits on I/O except
 * the verification of a signed override.
 */
import type { Decision } from "../contracts/decision";
import { normalizePath } from "../contracts/paths";
import { readCookie } from "./cookies";
import { decide, NO_CONFIG_DECISION, NO_ROLLOUT_DECISION } from "./decide";
import { identify, type IdentifyDeps } from "./identify";
import { matchRollout, type CompiledRollout, type RouterTable } from "./match";
import { OVERRIDE_COOKIE, OVERRIDE_HEADER, verifyOverride } from "./override";
import { ProxyRequestFacts } from "./request-facts";

/** Where a request goes and why. */
export interface Route {
  decision: Decision;
  rollout: CompiledRollout | undefined;
  /** The matched path prefix, or "" when no rollout matched. */
  pathPrefix: string;
  configVersion: number | null;
  /** The snapshot in use could not be refreshed. */
  stale: boolean;
  /** The value of a new anonymous id cookie issued for this request, to be set on the response. */
  newAnonymousCookie: string | undefined;
}

export interface RouteDeps extends IdentifyDeps {
  /** HMAC key of override tokens; unset = overrides are off. */
  overrideSecret: string | undefined;
}

/** Fail safe: the isolate never reached the control plane, so everyone goes to legacy. */
export const FAIL_SAFE_ROUTE: Route = { decision: NO_CONFIG_DECISION, rollout: undefined, pathPrefix: "", configVersion: null, stale: true, newAnonymousCookie: undefined };

/** 1. match → 2. identify → 3. decide, on a compiled snapshot. */
export async function routeRequest(request: Request, url: URL, table: RouterTable, stale: boolean, deps: RouteDeps, path = normalizePath(url.pathname)): Promise<Route> {
  // Matched on the normalised path (`path`), so no spelling escapes a rollout; forwarded as sent.
  const match = matchRollout(table, url.hostname, path);
  if (!match) return { decision: NO_ROLLOUT_DECISION, rollout: undefined, pathPrefix: "", configVersion: table.version, stale, newAnonymousCookie: undefined };
  const rollout = match.rollout;
  const { identity, newAnonymousCookie } = await identify(rollout, request.headers, deps);
  const override = await readOverride(request, rollout.id, table.overridesRevokedBefore, deps);
  // What targeting rules read from the request is read only for a rollout that has rules, and lazily.
  const decision = decide(table, rollout, identity, override, rollout.rules.length ? new ProxyRequestFacts(request, url) : undefined);
  return { decision, rollout, pathPrefix: match.prefix, configVersion: table.version, stale, newAnonymousCookie };
}

async function readOverride(request: Request, rolloutId: string, revokedBefore: number, deps: RouteDeps) {
  if (!deps.overrideSecret) return undefined;
  const token = request.headers.get(OVERRIDE_HEADER) ?? readCookie(request.headers.get("cookie"), OVERRIDE_COOKIE);
  if (!token) return undefined;
  return (await verifyOverride(deps.overrideSecret, token, rolloutId, Math.floor(deps.clock() / 1000), revokedBefore))?.variant;
}
