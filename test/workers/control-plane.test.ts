import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RolloutState } from "../../control/rollout-state";
import type { SnapshotReply } from "../../contracts/config-source";
import type { ConfigSource } from "../../contracts/config-source";
import { readEnvConfig } from "../../contracts/vars";
import { handleProxy } from "../../edge/handler";
import { toDataPoint } from "../../edge/record";
import { FLUSH_INTERVAL_MS, HealthBatcher } from "../../edge/health-batcher";
import type { HealthFlush } from "../../contracts/health";
import { adminJson, identityToken, resetDefault, VERIFIED_STICKINESS } from "./helpers";
import { JwtVerifier } from "../../edge/identity/jwt";
import { FRESHNESS_MS, proxyDeps, readFromDurableObject, userRequest } from "./proxy-deps";

/** A config source that answers from the real Durable Object until told to fail. */
class SwitchableSource implements ConfigSource {
  down = false;
  calls = 0;
  async read(knownVersion: number): Promise<SnapshotReply> {
    this.calls++;
    if (this.down) throw new Error("Durable Object unreachable (test)");
    return readFromDurableObject(knownVersion);
  }
}

const deps = proxyDeps;
const request = userRequest;

describe("control plane down", () => {
  it("keeps serving the last known config (fail static) and logs it", async () => {
    await resetDefault({ percent: 100 });
    const source = new SwitchableSource();
    const { d, logs, advance } = deps(source);
    expect((await (await handleProxy(request("a"), d)).json<{ origin: string }>()).origin).toBe("new");
    source.down = true;
    advance(1000);
    const res = await handleProxy(request("a"), d);
    expect(res.status).toBe(200);
    expect((await res.json<{ origin: string }>()).origin).toBe("new");
    expect(logs.at(-1)).toMatchObject({ event: "proxy", variant: "new", stale: true });
  });

  it("routes everyone to legacy when it never had a config (fail safe), never 5xx", async () => {
    const source = new SwitchableSource();
    source.down = true;
    const { d, logs, sink } = deps(source);
    for (const user of ["a", "b", "c"]) {
      const res = await handleProxy(request(user), d);
      expect(res.status).toBe(200);
      expect((await res.json<{ origin: string }>()).origin).toBe("legacy");
    }
    expect(sink.records.every((r) => r.decision.reason === "no-config")).toBe(true);
    expect(logs.some((l) => l.event === "control-plane-unavailable")).toBe(true);
  });
});

describe("misconfiguration", () => {
  it("names each missing or invalid var in a 503 problem when the object holds no config", async () => {
    // A fresh object (never configured) whose worker has broken vars.
    const id = env.ROLLOUT_STATE.idFromName("misconfigured-test");
    const stub = env.ROLLOUT_STATE.get(id);
    const reply = await runInDurableObject(stub, async (_instance: RolloutState, state) => {
      const broken = new RolloutState(state, { ...env, LEGACY_ORIGIN: "", NEW_ORIGIN: "ftp://files.example" });
      return broken.getSnapshot(-1);
    });
    expect(reply).toMatchObject({ status: "unconfigured" });
    const source: ConfigSource = { read: async () => reply };
    const { d, logs } = deps(source, { envConfig: readEnvConfig({ NEW_ORIGIN: "ftp://files.example" }) });
    const res = await handleProxy(request("a"), d);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = await res.json<{ detail: string; problems: string[] }>();
    expect(problem.problems).toEqual([expect.stringMatching(/^LEGACY_ORIGIN is not set/), expect.stringMatching(/^NEW_ORIGIN must use http or https, got ftp/)]);
    expect(logs).toContainEqual({ event: "misconfigured", problems: problem.problems });
  });

  it("lets a stored config govern once there is one, whatever the vars say", async () => {
    await resetDefault({ percent: 0 });
    const source = new SwitchableSource();
    const { d } = deps(source, { envConfig: readEnvConfig({}) });
    const res = await handleProxy(request("a"), d);
    expect(res.status).toBe(200);
    expect((await res.json<{ origin: string }>()).origin).toBe("legacy");
  });
});

describe("observability", () => {
  it("with REQUEST_LOG_SAMPLE, logs a share of ordinary requests but every one with a problem, and still counts them all", async () => {
    const source = new SwitchableSource();
    // Each isolate below starts cold, so its first request reads the config just written.
    const sampled = (share: number) => deps(source, { envConfig: { ...readEnvConfig(env), requestLogSample: share } });
    const proxyLines = (logs: Record<string, unknown>[]) => logs.filter((l) => l.event === "proxy");
    // Share 0: ordinary requests are not logged, yet every one is a data point.
    await resetDefault({ percent: 0 });
    const quiet = sampled(0);
    for (let i = 0; i < 20; i++) expect((await handleProxy(request(`quiet-${i}`), quiet.d)).status).toBe(200);
    expect(proxyLines(quiet.logs)).toEqual([]);
    expect(quiet.sink.records).toHaveLength(20);
    // Share 0, new unreachable: a body-less request retried on legacy and a POST that fails are logged.
    await resetDefault({ percent: 100, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_CLOSED_ORIGIN } });
    const troubled = sampled(0);
    expect((await handleProxy(request("retried"), troubled.d)).status).toBe(200);
    const failed = await handleProxy(new Request("http://router.test/pay", { method: "POST", body: "amount=5", headers: { "x-user-id": "payer" } }), troubled.d);
    expect(failed.status).toBe(502);
    expect(proxyLines(troubled.logs).map((l) => [l.path, l.status, l.retriedOnLegacy ?? false])).toEqual([
      ["/", 200, true],
      ["/pay", 0, false],
    ]);
    // Share 0.5: about half of 400 ordinary requests.
    await resetDefault({ percent: 0 });
    const half = sampled(0.5);
    for (let i = 0; i < 400; i++) await handleProxy(request(`half-${i}`), half.d);
    expect(proxyLines(half.logs).length).toBeGreaterThan(140);
    expect(proxyLines(half.logs).length).toBeLessThan(260);
    expect(half.sink.records).toHaveLength(400);
  });

  it("writes one data point and one log line per proxied request, with the decision's reason", async () => {
    await resetDefault({ percent: 100, stickiness: VERIFIED_STICKINESS, allowlist: { legacy: ["pinned"] } });
    const { d, logs, sink } = deps(new SwitchableSource(), { jwt: new JwtVerifier(env, { fetch }) });
    await handleProxy(new Request("http://router.test/api/items?x=1", { method: "POST", body: "{}", headers: { authorization: `Bearer ${await identityToken("pinned")}` } }), d);
    expect(sink.records).toHaveLength(1);
    const point = toDataPoint(sink.records[0]!);
    expect(point).toEqual({
      indexes: ["default"],
      blobs: ["legacy", "allowlist", "POST", "2xx", "", "", "/"],
      doubles: [expect.any(Number), 200, expect.any(Number)],
    });
    const proxyLogs = logs.filter((l) => l.event === "proxy");
    expect(proxyLogs).toHaveLength(1);
    expect(proxyLogs[0]).toMatchObject({
      rollout: "default",
      variant: "legacy",
      reason: "allowlist",
      user: "jwt:header:authorization",
      method: "POST",
      path: "/api/items",
      status: 200,
    });
    expect(typeof proxyLogs[0]!.latencyMs).toBe("number");
  });

  it("refreshes about once per freshness window and flushes health about once a second under steady load, never once per request", async () => {
    await resetDefault({ percent: 50 });
    const source = new SwitchableSource();
    const { d, advance } = deps(source);
    const flushes: HealthFlush[] = [];
    const batcher = new HealthBatcher(
      async (flush) => {
        flushes.push(flush);
      },
      d.clock,
      () => {},
    );
    const background: Promise<unknown>[] = [];
    d.health = (r) =>
      batcher.count(r.decision.rolloutId!, r.decision.variant, { status: r.status, latencyMs: r.latencyMs, user: r.decision.identity?.userId ?? null, clientIp: null }, (p) =>
        background.push(p),
      );
    // 1,000 requests over 2 simulated seconds (one every 2 ms).
    const durationMs = 2000;
    const stepMs = 2;
    for (let t = 0; t < durationMs; t += stepMs) {
      await handleProxy(request(`load-${t}`), d);
      advance(stepMs);
    }
    // One refresh per freshness window, give or take one at either end; never one per request.
    const windows = durationMs / FRESHNESS_MS;
    expect(source.calls).toBeGreaterThanOrEqual(windows - 1);
    expect(source.calls).toBeLessThanOrEqual(windows + 2);
    // One health flush per second of traffic, give or take one; each carries many requests.
    const seconds = durationMs / FLUSH_INTERVAL_MS;
    expect(flushes.length).toBeGreaterThanOrEqual(seconds - 1);
    expect(flushes.length).toBeLessThanOrEqual(seconds + 1);
    const carried = flushes.map((f) => Object.values(f.rollouts).reduce((n, r) => n + r.legacy.requests + r.new.requests, 0));
    expect(Math.min(...carried)).toBeGreaterThan(100);
  });

  it("counts refreshes against proxied requests in the stats endpoint", async () => {
    const stats = await adminJson("GET", "/stats");
    expect(stats.body.isolate).toMatchObject({ proxiedRequests: expect.any(Number), configRefreshes: expect.any(Number), freshnessMs: 250 });
    await exports.default.fetch("http://router.test/", { headers: { "x-user-id": "s" } });
    const after = await adminJson("GET", "/stats");
    expect(after.body.isolate.proxiedRequests).toBe(stats.body.isolate.proxiedRequests + 1);
  });
});
