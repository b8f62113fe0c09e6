/**
 * The request path (handleProxy) wired by hand, for tests that replace the config source: a
 * simulated clock for freshness and retries (the cache's timeout runs on real timers), and logs
 * and metrics kept in memory.
 */
import { env } from "cloudflare:workers";
import type { ConfigSource, SnapshotReply } from "../../contracts/config-source";
import { STATE_OBJECT_NAME } from "../../contracts/env";
import { readEnvConfig } from "../../contracts/vars";
import type { ProxyDeps } from "../../edge/handler";
import { AnonymousIds } from "../../edge/identity/anonymous";
import { SnapshotCache, type SnapshotCacheOptions } from "../../edge/snapshot-cache";
import { RecordingSink } from "../support/recording-sink";

/** The snapshot cache's freshness window in these tests (ms). */
export const FRESHNESS_MS = 250;

/** What the real Durable Object answers an isolate holding `knownVersion`. */
export function readFromDurableObject(knownVersion: number): Promise<SnapshotReply> {
  return env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME)).getSnapshot(knownVersion);
}

export function proxyDeps(source: ConfigSource, overrides: Partial<ProxyDeps> = {}, cacheOptions: Partial<SnapshotCacheOptions> = {}) {
  const logs: Record<string, unknown>[] = [];
  const sink = new RecordingSink();
  let now = Date.now();
  const d: ProxyDeps = {
    cache: new SnapshotCache(source, { freshnessMs: FRESHNESS_MS, retryAfterMs: 1000, ...cacheOptions }, () => now),
    envConfig: readEnvConfig(env),
    sink,
    adminToken: env.ADMIN_TOKEN,
    overrideSecret: undefined,
    jwt: undefined,
    anonymous: AnonymousIds.unsigned(),
    log: (line) => logs.push(line),
    // The request line is JSON text: parsed here, so a line that is not valid JSON fails the test.
    logText: (text) => logs.push(JSON.parse(text)),
    clock: () => now,
    randomId: () => "00000000-0000-4000-8000-000000000001",
    ...overrides,
  };
  return { d, logs, sink, advance: (ms: number) => (now += ms) };
}

/** A request from user `user` that wants the origin's JSON echo. */
export const userRequest = (user: string, path = "/") => new Request(`http://router.test${path}`, { headers: { "x-user-id": user, accept: "application/json" } });
