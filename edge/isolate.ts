/**
 * What one isolate keeps between requests: the config snapshot cache, the health batcher, the
 * identity verifiers, the admin app and its counters. Built once per deployment (keyed by the
 * Durable Object binding, which differs between test environments sharing an isolate).
 */
import { createAdminApp } from "../admin/app";
import { STATE_OBJECT_NAME } from "../contracts/env";
import type { RequestRecord } from "../contracts/metrics-sink";
import { type EnvConfig, readEnvConfig } from "../contracts/vars";
import type { ConfigSource, SnapshotReply } from "../contracts/config-source";
import type { HealthFlush } from "../contracts/health";
import { nearestFirst, type ReplicaRef } from "../contracts/replicas";
import { DurableObjectConfigSource, ReplicaConfigSource } from "./config-source";
import { HealthBatcher } from "./health-batcher";
import { ShadowLimits } from "./shadow/limits";
import { AnonymousIds } from "./identity/anonymous";
import { JwtVerifier } from "./identity/jwt";
import { readCorsOrigins, type CorsPolicy } from "./ofrep/cors";
import { SnapshotCache } from "./snapshot-cache";

export interface IsolateState {
  cache: SnapshotCache;
  /** Where this isolate runs (request.cf latitude/longitude of its first request): picks the nearest replica. */
  location: { lat: number; lon: number } | undefined;
  /** Whether `location` was looked for (once per isolate: an isolate never changes colo). */
  located: boolean;
  startedAt: string;
  proxied: number;
  health: HealthBatcher;
  /** Mirror slots of shadow traffic: per rollout and for the isolate's memory (./shadow/limits.ts). */
  shadowLimits: ShadowLimits;
  envConfig: EnvConfig;
  jwt: JwtVerifier | undefined;
  anonymous: AnonymousIds;
  /** The origins whose pages may call OFREP from a browser (`OFREP_CORS_ORIGINS`). */
  ofrepCors: CorsPolicy;
  admin: ReturnType<typeof createAdminApp>;
}

const isolates = new WeakMap<object, IsolateState>();
const logError = (line: Record<string, unknown>) => console.error(JSON.stringify(line));

function identityVerifiers(env: Env): { jwt: JwtVerifier | undefined; anonymous: AnonymousIds } {
  const jwt = new JwtVerifier(env, { fetch: (url, init) => fetch(url, init), onError: (error) => logError({ event: "identity-jwks-failed", error }) });
  for (const problem of jwt.problems) logError({ event: "misconfigured", problems: [problem] });
  const anonymous = AnonymousIds.fromVars(env);
  if (!anonymous.signed)
    logError({
      event: "misconfigured",
      problems: ["Neither IDENTITY_COOKIE_SECRET nor ADMIN_TOKEN is set: anonymous id cookies are unsigned, so a client can choose its bucket."],
    });
  return { jwt: jwt.enabled ? jwt : undefined, anonymous };
}

/**
 * A round trip for measurements (CONFIG_SIMULATED_RTT_MS); none in production. Half of it before
 * the call and half after, so an answer is as old on arrival as a real one: it left the object
 * half a trip ago.
 */
function roundTrip(ms: number): <T>(call: () => Promise<T>) => Promise<T> {
  if (ms <= 0) return (call) => call();
  const leg = () => new Promise<void>((resolve) => setTimeout(resolve, ms / 2));
  return async (call) => {
    await leg();
    const answer = await call();
    await leg();
    return answer;
  };
}

function delayed(source: ConfigSource, trip: ReturnType<typeof roundTrip>): ConfigSource {
  return { read: (known) => trip(() => source.read(known)) };
}

export function isolateState(env: Env): IsolateState {
  const known = isolates.get(env.ROLLOUT_STATE);
  if (known) return known;
  const envConfig = readEnvConfig(env);
  if (envConfig.problems.length) logError({ event: "misconfigured", problems: envConfig.problems.map((p) => p.message) });
  const trip = roundTrip(envConfig.simulatedRttMs);
  const primary = delayed(new DurableObjectConfigSource(env.ROLLOUT_STATE), trip);
  const shardSeed = crypto.getRandomValues(new Uint32Array(1))[0]!;
  const replicaStub = (r: ReplicaRef) => env.CONFIG_REPLICA.get(env.CONFIG_REPLICA.idFromName(r.name), { locationHint: r.region });
  const replicas = envConfig.replicas.length
    ? new ReplicaConfigSource(
        envConfig.replicas,
        (r, v) => trip(async (): Promise<SnapshotReply> => replicaStub(r).read(v)),
        primary,
        () => state.location,
        shardSeed,
      )
    : undefined;
  const primaryStub = () => env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));
  // Health goes to the nearest replica, which merges and forwards it (or straight to the primary without replicas).
  const routed = { viaReplica: 0, direct: 0 };
  const flushTarget = (flush: HealthFlush) =>
    trip(() => {
      const nearest = replicas ? nearestFirst(envConfig.replicas, state.location, shardSeed)[0] : undefined;
      const direct = () => {
        routed.direct++;
        return primaryStub().recordHealth(flush);
      };
      if (!nearest) return direct();
      routed.viaReplica++;
      return replicaStub(nearest).recordHealth(flush).catch(direct);
    });
  const cache = new SnapshotCache(replicas ?? primary, {
    freshnessMs: envConfig.freshnessMs,
    maxStalenessMs: envConfig.maxStalenessMs,
    onError: (error, servingVersion) =>
      logError({ event: "control-plane-unreachable", error, servingVersion, action: servingVersion === null ? "routing to legacy" : "serving last known config" }),
  });
  const shadowLimits = new ShadowLimits();
  const cors = readCorsOrigins(env.OFREP_CORS_ORIGINS);
  if (cors.problems.length) logError({ event: "misconfigured", problems: cors.problems });
  const state: IsolateState = {
    cache,
    location: undefined,
    located: false,
    ofrepCors: cors.policy,
    envConfig,
    startedAt: new Date().toISOString(),
    proxied: 0,
    health: new HealthBatcher(flushTarget, Date.now, logError),
    shadowLimits,
    ...identityVerifiers(env),
    admin: createAdminApp({
      prefix: envConfig.adminPrefix,
      // An admin write refreshes this isolate's snapshot at once; other isolates follow within the
      // freshness window. Tests set ADMIN_WRITES_REFRESH_LOCALLY=false to measure that slower path.
      onWrite: env.ADMIN_WRITES_REFRESH_LOCALLY === "false" ? undefined : () => cache.invalidate(),
      // Named tokens are checked against this isolate's snapshot: a revoked one fails once the
      // snapshot is refreshed, i.e. within the freshness window, with no control-plane call per request.
      snapshotTokens: async (now) => {
        const read = await cache.read(now);
        return read.kind === "table" ? read.table.tokens : undefined;
      },
      isolateStats: () => ({
        startedAt: state.startedAt,
        proxiedRequests: state.proxied,
        configRefreshes: cache.stats.refreshes,
        configRefreshFailures: cache.stats.failures,
        healthFlushes: state.health.stats.flushes,
        healthFlushFailures: state.health.stats.flushFailures,
        configVersion: cache.version,
        freshnessMs: cache.freshnessMs,
        maxStalenessMs: cache.maxStalenessMs,
        requestsThatWaited: cache.stats.waits,
        staleServed: cache.stats.staleServed,
        readTierLagMs: cache.stats.lastTierLagMs,
        ...(replicas
          ? {
              replicaReads: replicas.stats.replicaReads,
              primaryReads: replicas.stats.primaryReads,
              replicasBypassed: replicas.stats.bypassed,
              laggingReplicaAnswers: replicas.stats.laggingServed,
              healthFlushesViaReplica: routed.viaReplica,
            }
          : {}),
        healthFlushesToPrimary: routed.direct,
        shadowMirrors: shadowLimits.stats.mirrors,
        shadowSkipped: shadowLimits.stats.skipped,
        shadowIdentityCapped: shadowLimits.stats.identityCapped,
        shadowReservedBytes: shadowLimits.reservedBytes,
      }),
    }),
  };
  isolates.set(env.ROLLOUT_STATE, state);
  return state;
}

/** Counts a proxied request towards its variant's health (batched; flushed in the background). */
export function countHealth(health: HealthBatcher, record: RequestRecord, clientIp: string | null, waitUntil: (promise: Promise<unknown>) => void): void {
  const id = record.decision.rolloutId;
  if (!id) return;
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
