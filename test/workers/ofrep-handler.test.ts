/**
 * The OFREP handler wired by hand, in workerd: CORS for configured origins only, what a provider
 * gets when the router knows no config, and the control-plane budget (the real Durable Object,
 * behind the proxy's SnapshotCache, is read once per freshness window, never per evaluation).
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ConfigSource } from "../../contracts/config-source";
import { scopedTokenAuthorizer } from "../../edge/ofrep/auth";
import { readCorsOrigins, type CorsPolicy } from "../../edge/ofrep/cors";
import { handleOfrep, type OfrepDeps } from "../../edge/ofrep/handler";
import { SnapshotCache } from "../../edge/snapshot-cache";
import { ADMIN_TOKEN, adminJson, resetDefault, ROUTER } from "./helpers";
import { FRESHNESS_MS, readFromDurableObject } from "./proxy-deps";

const APP = "http://127.0.0.1:5173";
const FLAG = "/ofrep/v1/evaluate/flags/default";

/** The real Durable Object, counting the isolate's reads of it. */
function countingSource(): ConfigSource & { calls: number } {
  const source = {
    calls: 0,
    read: (known: number) => {
      source.calls++;
      return readFromDurableObject(known);
    },
  };
  return source;
}

function deps(overrides: Partial<OfrepDeps> = {}, cors: CorsPolicy = readCorsOrigins(`${APP}, https://app.example.com`).policy) {
  let now = Date.now();
  const source = countingSource();
  const cache = new SnapshotCache(source, { freshnessMs: FRESHNESS_MS }, () => now);
  const d: OfrepDeps = {
    cache,
    authorize: scopedTokenAuthorizer(cache, ADMIN_TOKEN, () => now),
    cors,
    clock: () => now,
    ...overrides,
  };
  return { d, source, advance: (ms: number) => (now += ms) };
}

const post = (path: string, headers: Record<string, string> = {}, targetingKey = "cors-user") =>
  new Request(`https://site.example${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ context: { targetingKey } }),
  });

const preflightFrom = (origin: string) =>
  new Request(`https://site.example${FLAG}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type,if-none-match" },
  });

describe("CORS", () => {
  it("lets a configured origin's preflight through: POST with Content-Type, Authorization and If-None-Match", async () => {
    const res = await handleOfrep(preflightFrom(APP), FLAG, deps().d);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res.headers.get("access-control-allow-methods")).toBe("POST");
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["content-type", "authorization", "if-none-match"]));
    expect(res.headers.get("vary")).toBe("Origin");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("gives another origin's preflight no permission, and answers it without evaluating anything", async () => {
    const { d, source } = deps();
    const res = await handleOfrep(preflightFrom("https://evil.example"), FLAG, d);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-headers")).toBeNull();
    expect(source.calls).toBe(0);
  });

  it("exposes ETag and Retry-After to a configured origin, on answers and on errors alike", async () => {
    const { d } = deps();
    for (const [path, headers, status] of [
      ["/ofrep/v1/evaluate/flags", {}, 200],
      [FLAG, { authorization: "Bearer nope" }, 401],
      ["/ofrep/v1/evaluate/flags/none", {}, 404],
    ] as const) {
      const res = await handleOfrep(post(path, { origin: APP, ...headers }), path, d);
      expect(res.status).toBe(status);
      expect(res.headers.get("access-control-allow-origin")).toBe(APP);
      expect(res.headers.get("access-control-expose-headers")).toBe("ETag, Retry-After");
    }
    const other = await handleOfrep(post(FLAG, { origin: "https://evil.example" }), FLAG, d);
    expect(other.status).toBe(200);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(other.headers.get("vary")).toBe("Origin");
  });

  it("reads OFREP_CORS_ORIGINS strictly: origins only, normalised; paths, wildcards and other schemes are refused by name", () => {
    const { policy, problems } = readCorsOrigins(" https://App.Example.com:443/ ,http://localhost:5173,*,https://x.example/path,ftp://f.example,");
    expect([...policy.origins]).toEqual(["https://app.example.com", "http://localhost:5173"]);
    expect(problems).toHaveLength(3);
    expect(problems.join(" ")).toMatch(/"\*".*"https:\/\/x\.example\/path".*"ftp:\/\/f\.example"/s);
  });
});

describe("without a config", () => {
  it("answers 500 GENERAL (so providers use the code default) while the control plane was never reached", async () => {
    const unreachable: ConfigSource = { read: () => Promise.reject(new Error("Durable Object unreachable")) };
    const logs: Record<string, unknown>[] = [];
    const { d } = deps({ cache: new SnapshotCache(unreachable, { freshnessMs: FRESHNESS_MS, timeoutMs: 200 }), log: (l) => logs.push(l) });
    const single = await handleOfrep(post(FLAG), FLAG, d);
    expect(single.status).toBe(500);
    expect(await single.json()).toMatchObject({ key: "default", errorCode: "GENERAL", errorDetails: expect.stringMatching(/legacy/) });
    const bulk = await handleOfrep(post("/ofrep/v1/evaluate/flags"), "/ofrep/v1/evaluate/flags", d);
    expect(bulk.status).toBe(500);
    expect(await bulk.json()).toMatchObject({ errorCode: "GENERAL" });
    expect(logs[0]).toMatchObject({ event: "ofrep-no-config", kind: "unavailable" });
  });

  it("is closed (401) when no token is configured at all", async () => {
    const { d } = deps();
    d.authorize = scopedTokenAuthorizer(d.cache as SnapshotCache, undefined, Date.now);
    for (const auth of [`Bearer ${ADMIN_TOKEN}`, "Bearer ", ""]) {
      expect((await handleOfrep(post(FLAG, { authorization: auth }), FLAG, d)).status).toBe(401);
    }
  });
});

describe("the control-plane budget", () => {
  it("reads the Durable Object once per freshness window, not once per evaluation", async () => {
    await resetDefault({ percent: 50 });
    const { d, source, advance } = deps();
    for (let i = 0; i < 200; i++) {
      const path = i % 2 ? FLAG : "/ofrep/v1/evaluate/flags";
      expect((await handleOfrep(post(path, {}, `budget-${i}`), path, d)).status).toBe(200);
    }
    expect(source.calls).toBe(1);
    advance(FRESHNESS_MS + 1);
    for (let i = 0; i < 50; i++) await handleOfrep(post(FLAG, {}, `budget-${i}`), FLAG, d);
    expect(source.calls).toBe(2);
  });

  it("in the deployed Worker too: 200 evaluations cost at most one refresh per freshness window", async () => {
    const before = (await adminJson("GET", "/stats")).body.isolate.configRefreshes as number;
    const started = Date.now();
    for (let i = 0; i < 200; i++) {
      const res = await exports.default.fetch(`${ROUTER}${FLAG}`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ context: { targetingKey: `stats-${i}` } }),
      });
      expect(res.status).toBe(200);
    }
    const windows = Math.ceil((Date.now() - started) / FRESHNESS_MS) + 1;
    const refreshes = (await adminJson("GET", "/stats")).body.isolate.configRefreshes - before;
    expect(refreshes).toBeLessThanOrEqual(windows);
    expect(refreshes).toBeLessThan(200);
  });
});
