/**
 * edge-router's entry point: requests for the admin API and dashboard go to the operator app;
 * OFREP evaluations (/ofrep/v1/*) are answered by the router itself; every other request is
 * routed to the legacy or the new origin and proxied untouched.
 */
import { normalizePath } from "../contracts/paths";
import { isAdminRequest } from "../contracts/vars";
import { handleProxy } from "./handler";
import { countHealth, isolateState } from "./isolate";
import { scopedTokenAuthorizer } from "./ofrep/auth";
import { handleOfrep, isOfrepPath } from "./ofrep/handler";
import { AnalyticsEngineSink, shadowLogLine } from "./record";

export { ConfigReplica } from "../control/config-replica";
export { RolloutState } from "../control/rollout-state";

/** Where the colo that runs this isolate is, from `request.cf` (absent locally). */
function locationOf(request: Request): { lat: number; lon: number } | undefined {
  const cf = request.cf as { latitude?: string; longitude?: string } | undefined;
  const lat = Number(cf?.latitude);
  const lon = Number(cf?.longitude);
  return cf?.latitude !== undefined && Number.isFinite(lat) && Number.isFinite(lon) ? { lat, lon } : undefined;
}

/** Event lines (one JSON object each) and ids: the same for every request, so made once. */
const log = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
const logText = (text: string) => console.log(text);
const randomId = () => crypto.randomUUID();

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const state = isolateState(env);
    if (!state.located) {
      // Once per isolate: reading request.cf builds an object from its fields on every access.
      state.located = true;
      state.location = locationOf(request);
    }
    const url = new URL(request.url);
    if (isAdminRequest(state.envConfig, url)) return state.admin.fetch(request, env, ctx);
    const waitUntil = (promise: Promise<unknown>) => ctx.waitUntil(promise);
    // On every host, as the proxy: apps call their own site's host. Matched on the normalised path,
    // as rollouts are, so no spelling of /ofrep/v1 reaches an origin.
    const path = normalizePath(url.pathname);
    if (isOfrepPath(path)) {
      return handleOfrep(request, path, {
        cache: state.cache,
        authorize: scopedTokenAuthorizer(state.cache, env.ADMIN_TOKEN || undefined, Date.now),
        cors: state.ofrepCors,
        clock: Date.now,
        waitUntil,
        log,
      });
    }
    state.proxied++;
    const sink = new AnalyticsEngineSink(env.ANALYTICS);
    return handleProxy(
      request,
      {
        cache: state.cache,
        envConfig: state.envConfig,
        sink,
        adminToken: env.ADMIN_TOKEN || undefined,
        overrideSecret: env.OVERRIDE_SECRET || undefined,
        jwt: state.jwt,
        anonymous: state.anonymous,
        log,
        logText,
        clock: Date.now,
        randomId,
        waitUntil,
        health: (record) => countHealth(state.health, record, request.headers.get("cf-connecting-ip"), waitUntil),
        shadow: {
          limits: state.shadowLimits,
          done: (result) => {
            state.health.countShadow(result.rolloutId, result.prefix, result.outcome, waitUntil);
            sink.writeShadow(result.record);
            if (result.record.outcome !== "match") log(shadowLogLine(result.record));
          },
        },
      },
      url,
      path,
    );
  },
} satisfies ExportedHandler<Env>;
