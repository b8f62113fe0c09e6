/**
 * edge-router's entry point: requests under /__admin go to the operator API and dashboard;
 * every other request is routed to the legacy or the new origin and proxied untouched.
 */
import { ADMIN_PREFIX, createAdminApp } from "../admin/app";
import { DurableObjectConfigSource } from "./config-source";
import { readEnvConfig, type EnvConfig } from "./core/env-config";
import type { Env } from "./env";
import { handleProxy } from "./handler";
import { AnalyticsEngineSink } from "./observe";
import { SnapshotCache } from "./snapshot-cache";

export { RolloutState } from "../durable-objects/rollout-state";

/** What an isolate keeps between requests, per deployment (keyed by its Durable Object binding). */
interface IsolateState {
  cache: SnapshotCache;
  startedAt: string;
  proxied: number;
  envConfig: EnvConfig;
  admin: ReturnType<typeof createAdminApp>;
}

const isolates = new WeakMap<object, IsolateState>();

function isolateState(env: Env): IsolateState {
  let state = isolates.get(env.ROLLOUT_STATE);
  if (!state) {
    const envConfig = readEnvConfig(env);
    if (envConfig.problems.length) console.error(JSON.stringify({ event: "misconfigured", problems: envConfig.problems.map((p) => p.message) }));
    const cache = new SnapshotCache(new DurableObjectConfigSource(env.ROLLOUT_STATE), {
      freshnessMs: envConfig.freshnessMs,
      onError: (error, servingVersion) =>
        console.error(JSON.stringify({ event: "control-plane-unreachable", error, servingVersion, action: servingVersion === null ? "routing to legacy" : "serving last known config" })),
    });
    const created: IsolateState = {
      cache,
      envConfig,
      startedAt: new Date().toISOString(),
      proxied: 0,
      admin: createAdminApp({
        // An admin write refreshes this isolate's snapshot at once; other isolates follow within the
        // freshness window. Tests set ADMIN_WRITES_REFRESH_LOCALLY=false to measure that slower path.
        onWrite: env.ADMIN_WRITES_REFRESH_LOCALLY === "false" ? undefined : () => cache.invalidate(),
        isolateStats: () => ({
          startedAt: created.startedAt,
          proxiedRequests: created.proxied,
          configRefreshes: cache.stats.refreshes,
          configRefreshFailures: cache.stats.failures,
          configVersion: cache.version,
          freshnessMs: cache.freshnessMs,
        }),
      }),
    };
    state = created;
    isolates.set(env.ROLLOUT_STATE, state);
  }
  return state;
}

/** The isolate's snapshot cache (exposed for tests and diagnostics). */
export function snapshotCacheFor(env: Env): SnapshotCache {
  return isolateState(env).cache;
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const state = isolateState(env);
    const { pathname } = new URL(request.url);
    if (pathname === ADMIN_PREFIX || pathname.startsWith(`${ADMIN_PREFIX}/`)) {
      return state.admin.fetch(request, env, ctx);
    }
    state.proxied++;
    return handleProxy(request, {
      cache: state.cache,
      envConfig: state.envConfig,
      sink: new AnalyticsEngineSink(env.ANALYTICS),
      adminToken: env.ADMIN_TOKEN || undefined,
      overrideSecret: env.OVERRIDE_SECRET || undefined,
      log: (line) => console.log(JSON.stringify(line)),
      clock: Date.now,
      randomId: () => crypto.randomUUID(),
      waitUntil: (promise) => ctx.waitUntil(promise),
    });
  },
} satisfies ExportedHandler<Env>;
