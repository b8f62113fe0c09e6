/**
 * edge-router's entry point: requests under /__admin go to the operator API and dashboard;
 * every other request is routed to the legacy or the new origin and proxied untouched.
 */
import { createAdminApp } from "../admin/app";
import { DurableObjectConfigSource } from "./config-source";
import { readEnvConfig, type EnvConfig } from "../contracts/vars";
import { handleProxy } from "./handler";
import { HealthBatcher } from "./health-batcher";
import { STATE_OBJECT_NAME } from "../contracts/env";
import type { RequestRecord } from "../contracts/metrics-sink";
import { AnalyticsEngineSink } from "./record";
import { SnapshotCache } from "./snapshot-cache";

export { RolloutState } from "../control/rollout-state";

/** What an isolate keeps between requests, per deployment (keyed by its Durable Object binding). */
interface IsolateState {
  cache: SnapshotCache;
  startedAt: string;
  proxied: number;
  health: HealthBatcher;
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
        console.error(
          JSON.stringify({ event: "control-plane-unreachable", error, servingVersion, action: servingVersion === null ? "routing to legacy" : "serving last known config" }),
        ),
    });
    const created: IsolateState = {
      cache,
      envConfig,
      startedAt: new Date().toISOString(),
      proxied: 0,
      health: new HealthBatcher(
        (flush) => env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME)).recordHealth(flush),
        Date.now,
        (line) => console.error(JSON.stringify(line)),
      ),
      admin: createAdminApp({
        prefix: envConfig.adminPrefix,
        // An admin write refreshes this isolate's snapshot at once; other isolates follow within the
        // freshness window. Tests set ADMIN_WRITES_REFRESH_LOCALLY=false to measure that slower path.
        onWrite: env.ADMIN_WRITES_REFRESH_LOCALLY === "false" ? undefined : () => cache.invalidate(),
        isolateStats: () => ({
          startedAt: created.startedAt,
          proxiedRequests: created.proxied,
          configRefreshes: cache.stats.refreshes,
          configRefreshFailures: cache.stats.failures,
          healthFlushes: created.health.stats.flushes,
          healthFlushFailures: created.health.stats.flushFailures,
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

/** Counts a proxied request towards its variant's health (batched; flushed in the background). */
function countHealth(health: HealthBatcher, record: RequestRecord, clientIp: string | null, ctx: ExecutionContext): void {
  const id = record.decision.rolloutId;
  if (!id) return;
  const waitUntil = (promise: Promise<unknown>) => ctx.waitUntil(promise);
  // Who sent it: guards cap one identity's weight and want errors from several users.
  const who = { user: record.decision.identity?.userId ?? null, clientIp };
  if (record.retriedOnLegacy) {
    // New failed to connect and legacy answered: a failure of new, and a request served by legacy.
    health.count(id, "new", { status: 0, latencyMs: record.latencyMs, ...who }, waitUntil);
    health.count(id, "legacy", { status: record.status, latencyMs: record.latencyMs, ...who }, waitUntil);
  } else {
    health.count(id, record.decision.variant, { status: record.status, latencyMs: record.latencyMs, ...who }, waitUntil);
  }
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const state = isolateState(env);
    const url = new URL(request.url);
    const { pathname } = url;
    const prefix = state.envConfig.adminPrefix;
    if (pathname === prefix || pathname.startsWith(`${prefix}/`)) {
      return state.admin.fetch(request, env, ctx);
    }
    state.proxied++;
    return handleProxy(
      request,
      {
        cache: state.cache,
        envConfig: state.envConfig,
        sink: new AnalyticsEngineSink(env.ANALYTICS),
        adminToken: env.ADMIN_TOKEN || undefined,
        overrideSecret: env.OVERRIDE_SECRET || env.ADMIN_TOKEN || undefined,
        log: (line) => console.log(JSON.stringify(line)),
        clock: Date.now,
        randomId: () => crypto.randomUUID(),
        waitUntil: (promise) => ctx.waitUntil(promise),
        health: (record) => countHealth(state.health, record, request.headers.get("cf-connecting-ip"), ctx),
      },
      url,
    );
  },
} satisfies ExportedHandler<Env>;
