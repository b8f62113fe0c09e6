/**
 * The mirror on the request path, in Node with a fake new origin: which requests are mirrored,
 * that the mirror leaves only after the user's response is handed back, that it gives up at its
 * timeout and frees its slot, and what analytics gets. (test/workers/shadow-*.test.ts run the
 * same against real origins in workerd.)
 */
import { describe, expect, it } from "vitest";
import type { Decision } from "../../contracts/decision";
import { RolloutConfigSchema, type StoredRollout } from "../../contracts/rollout";
import { SHADOW_BODY_CAP_BYTES } from "../../contracts/shadow";
import { compileRollout } from "../../edge/match";
import { AnalyticsEngineSink, MAX_DATA_POINTS_PER_INVOCATION, toShadowDataPoint } from "../../edge/record";
import type { Route } from "../../edge/route";
import { MAX_TRACKED_MIRROR_IDENTITIES, MIRRORS_PER_IDENTITY_PER_SECOND, mirrorCapBytes, SHADOW_MEMORY_BYTES, ShadowLimits } from "../../edge/shadow/limits";
import { startMirror, type MirrorResult } from "../../edge/shadow/mirror";

function rollout(shadow: Record<string, unknown>, extra: Record<string, unknown> = {}): StoredRollout {
  const config = RolloutConfigSchema.parse({ id: "r", origins: { legacy: "https://old.example", new: "https://new.example/base" }, shadow, ...extra });
  return { config, version: 1, updatedAt: "2026-01-01T00:00:00Z", updatedBy: "t", killReason: null };
}

function routeOf(stored: StoredRollout, decision: Partial<Decision> = {}): Route {
  return {
    rollout: compileRollout(stored),
    pathPrefix: "/",
    configVersion: 1,
    stale: false,
    newAnonymousCookie: undefined,
    decision: {
      rolloutId: "r",
      variant: "legacy",
      reason: "bucket",
      bucket: 9000,
      threshold: 0,
      identity: { userId: "u1", source: "header:x-user-id", verified: false },
      ...decision,
    },
  };
}

/** A mirror run with a fake new origin; `waited` holds what went to waitUntil. */
function harness(answer: (req: Request) => Promise<Response>) {
  const waited: Promise<unknown>[] = [];
  const results: MirrorResult[] = [];
  const sent: Request[] = [];
  const limits = new ShadowLimits();
  const deps = {
    shadow: { limits, done: (r: MirrorResult) => results.push(r) },
    clock: Date.now,
    waitUntil: (p: Promise<unknown>) => waited.push(p),
    fetcher: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = new Request(input, init);
      sent.push(req);
      return answer(req);
    }) as typeof fetch,
  };
  return { deps, waited, results, sent, limits, settle: () => Promise.all(waited) };
}

const legacyJson = (body: unknown) => new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });

describe("startMirror", () => {
  it("sends the mirror only after handing the user's response back, with new's header policy, and compares", async () => {
    const h = harness(async () => legacyJson({ items: [{ price: 1 }, { price: 2 }, { price: 4 }] }));
    const request = new Request("https://shop.example/catalog?page=2", { headers: { cookie: "sid=1", authorization: "Bearer u", "x-user-id": "u1" } });
    const served = startMirror(
      {
        request,
        url: new URL(request.url),
        route: routeOf(rollout({ percent: 100 })),
        response: legacyJson({ items: [{ price: 1 }, { price: 2 }, { price: 3 }] }),
        legacyLatencyMs: 7,
        stripAuthorization: false,
      },
      h.deps,
    );
    expect(h.sent).toHaveLength(0); // nothing left yet: the response is still ours to return
    expect(await served.json()).toEqual({ items: [{ price: 1 }, { price: 2 }, { price: 3 }] });
    await h.settle();
    expect(h.sent.map((r) => `${r.method} ${r.url}`)).toEqual(["GET https://new.example/base/catalog?page=2"]);
    expect(Object.fromEntries(h.sent[0]!.headers)).toMatchObject({ "x-rollout-shadow": "1", "x-rollout-variant": "new", "x-rollout-id": "r", "x-user-id": "u1" });
    expect(h.sent[0]!.headers.has("cookie")).toBe(false);
    expect(h.sent[0]!.headers.has("authorization")).toBe(false);
    expect(h.results[0]!.outcome).toMatchObject({ kind: "body", pointer: "/items/2/price", legacyValue: "3", newValue: "4", path: "/catalog", latencyMs: { legacy: 7 } });
    expect(h.results[0]!.record).toMatchObject({ outcome: "body", pointer: "/items/2/price", legacyStatus: 200, newStatus: 200 });
    expect(h.limits.inFlight("r")).toBe(0);
  });

  it.each([
    ["killed", { reason: "killed" as const }],
    ["allowlisted to legacy", { reason: "allowlist" as const }],
    ["overridden by QA", { reason: "override" as const }],
    ["on new", { variant: "new" as const }],
  ])("does not mirror a user %s", async (_, decision) => {
    const h = harness(async () => new Response("x"));
    const request = new Request("https://shop.example/a");
    const response = new Response("legacy");
    expect(
      startMirror({ request, url: new URL(request.url), route: routeOf(rollout({ percent: 100 }), decision), response, legacyLatencyMs: 1, stripAuthorization: false }, h.deps),
    ).toBe(response);
    expect(h.waited).toHaveLength(0);
  });

  it("does not mirror a method the rollout leaves out, nor any unsafe one", async () => {
    const h = harness(async () => new Response("x"));
    for (const [method, shadow] of [
      ["HEAD", { percent: 100, methods: ["GET"] }],
      ["POST", { percent: 100 }],
      ["DELETE", { percent: 100 }],
    ] as const) {
      const request = new Request("https://shop.example/a", { method });
      startMirror({ request, url: new URL(request.url), route: routeOf(rollout(shadow)), response: new Response(null), legacyLatencyMs: 1, stripAuthorization: false }, h.deps);
    }
    expect(h.waited).toHaveLength(0);
  });

  it("does not mirror a conditional or range request, whose answer depends on legacy's own validators", async () => {
    const h = harness(async () => new Response("x"));
    for (const [name, value] of [
      ["if-none-match", '"abc"'],
      ["if-modified-since", "Wed, 21 Oct 2026 07:28:00 GMT"],
      ["range", "bytes=0-99"],
    ]) {
      const request = new Request("https://shop.example/a", { headers: { [name!]: value! } });
      startMirror(
        { request, url: new URL(request.url), route: routeOf(rollout({ percent: 100 })), response: new Response("legacy"), legacyLatencyMs: 1, stripAuthorization: false },
        h.deps,
      );
    }
    expect(h.waited).toHaveLength(0);
    const plain = new Request("https://shop.example/a");
    startMirror(
      { request: plain, url: new URL(plain.url), route: routeOf(rollout({ percent: 100 })), response: new Response("legacy"), legacyLatencyMs: 1, stripAuthorization: false },
      h.deps,
    );
    expect(h.waited).toHaveLength(1);
    await h.settle();
  });

  it("gives up at the rollout's timeout, counts an error, and frees its slot", async () => {
    let aborted = false;
    const h = harness(
      (req) =>
        new Promise((_, reject) =>
          req.signal.addEventListener("abort", () => {
            aborted = true;
            reject(new Error("aborted"));
          }),
        ),
    );
    const request = new Request("https://shop.example/slow");
    const route = routeOf(rollout({ percent: 100, maxConcurrent: 1 }, { timeoutMs: 150 }));
    startMirror({ request, url: new URL(request.url), route, response: new Response("legacy"), legacyLatencyMs: 1, stripAuthorization: false }, h.deps);
    expect(h.limits.inFlight("r")).toBe(1);
    // The only slot is taken: this one is not mirrored.
    startMirror({ request, url: new URL(request.url), route, response: new Response("legacy"), legacyLatencyMs: 1, stripAuthorization: false }, h.deps);
    expect(h.waited).toHaveLength(1);
    const started = Date.now();
    await h.settle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(aborted).toBe(true);
    expect(h.results.map((r) => r.outcome.kind)).toEqual(["error"]);
    expect(h.results[0]!.record).toMatchObject({ outcome: "error", newStatus: 0, newLatencyMs: null });
    expect(h.limits.inFlight("r")).toBe(0);
    expect(h.limits.stats).toEqual({ mirrors: 1, skipped: 1, identityCapped: 0 });
  });

  it("hands the user a large body whole while the comparison keeps only its cap", async () => {
    const size = 3 * SHADOW_BODY_CAP_BYTES + 17;
    const chunk = new Uint8Array(64 * 1024).fill(65);
    const body = () =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (let sent = 0; sent < size; sent += chunk.length) c.enqueue(chunk.subarray(0, Math.min(chunk.length, size - sent)));
          c.close();
        },
      });
    const h = harness(async () => new Response(body()));
    const request = new Request("https://shop.example/big");
    const served = startMirror(
      {
        request,
        url: new URL(request.url),
        route: routeOf(rollout({ percent: 100, compare: { body: "bytes" } })),
        response: new Response(body()),
        legacyLatencyMs: 1,
        stripAuthorization: false,
      },
      h.deps,
    );
    expect((await served.arrayBuffer()).byteLength).toBe(size);
    await h.settle();
    // Both past the cap with the same first bytes: equal as far as a capped comparison can tell.
    expect(h.results[0]!.outcome.kind).toBe("match");
  });
});

describe("the isolate's mirror limits", () => {
  it("keeps every body at the full cap at the default concurrency, and shrinks it so that maxConcurrent mirrors fit the memory budget", () => {
    expect(mirrorCapBytes(10)).toBe(SHADOW_BODY_CAP_BYTES);
    for (const n of [10, 17, 100, 1000]) expect(2 * n * mirrorCapBytes(n)).toBeLessThanOrEqual(SHADOW_MEMORY_BYTES);
  });

  it("refuses a mirror of any rollout once the isolate's memory budget is taken, and frees it once", () => {
    const limits = new ShadowLimits(10_000);
    const a = limits.tryAcquire("a", 10, 2500);
    const b = limits.tryAcquire("b", 10, 2500);
    expect(a && b).toBeTruthy();
    expect(limits.tryAcquire("c", 10, 1)).toBeUndefined();
    a!();
    a!(); // a second release gives nothing back twice
    expect(limits.reservedBytes).toBe(5000);
    expect(limits.tryAcquire("c", 10, 2500)).toBeDefined();
    expect(limits.tryAcquire("c", 10, 1)).toBeUndefined();
  });
});

describe("one identity's share of the mirrors", () => {
  it("mirrors at most MIRRORS_PER_IDENTITY_PER_SECOND requests of one identity per rollout each second, others unaffected", () => {
    let now = 1_000_000;
    const limits = new ShadowLimits(SHADOW_MEMORY_BYTES, () => now);
    const admitted = (rollout: string, who: string, n: number) => Array.from({ length: n }, () => limits.admitIdentity(rollout, who)).filter(Boolean).length;
    expect(admitted("r", "flood", 50)).toBe(MIRRORS_PER_IDENTITY_PER_SECOND);
    expect(limits.stats.identityCapped).toBe(50 - MIRRORS_PER_IDENTITY_PER_SECOND);
    expect(admitted("r", "someone-else", 1)).toBe(1);
    expect(admitted("other-rollout", "flood", 1)).toBe(1);
    now += 999;
    expect(admitted("r", "flood", 1)).toBe(0);
    now += 1;
    expect(admitted("r", "flood", 5)).toBe(MIRRORS_PER_IDENTITY_PER_SECOND);
  });

  it("tracks a bounded number of identities a second and lets the rest through (maxConcurrent still bounds them)", () => {
    const limits = new ShadowLimits(SHADOW_MEMORY_BYTES, () => 0);
    for (let i = 0; i < MAX_TRACKED_MIRROR_IDENTITIES; i++) limits.admitIdentity("r", `u${i}`);
    expect(limits.admitIdentity("r", "late")).toBe(true);
    expect(limits.admitIdentity("r", "late")).toBe(true);
    expect(limits.admitIdentity("r", "late")).toBe(true);
    expect(limits.admitIdentity("r", "u0")).toBe(true);
    expect(limits.admitIdentity("r", "u0")).toBe(false);
  });

  it("serves a capped request legacy's own response and sends no mirror", async () => {
    const h = harness(async () => legacyJson({ ok: true }));
    const mirror = () => {
      const request = new Request("https://shop.example/catalog", { headers: { "x-user-id": "u1" } });
      const response = legacyJson({ ok: true });
      return {
        served: startMirror({ request, url: new URL(request.url), route: routeOf(rollout({ percent: 100 })), response, legacyLatencyMs: 1, stripAuthorization: false }, h.deps),
        response,
      };
    };
    const runs = Array.from({ length: 6 }, mirror);
    await h.settle();
    expect(h.sent).toHaveLength(MIRRORS_PER_IDENTITY_PER_SECOND);
    expect(runs.filter((r) => r.served === r.response)).toHaveLength(6 - MIRRORS_PER_IDENTITY_PER_SECOND);
    for (const r of runs) expect(await r.served.json()).toEqual({ ok: true });
  });
});

describe("analytics", () => {
  it("writes a comparison as a data point read like a third variant, sharing the per-invocation limit", () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const sink = new AnalyticsEngineSink({ writeDataPoint: (p: AnalyticsEngineDataPoint) => points.push(p) } as unknown as AnalyticsEngineDataset);
    const record = {
      rolloutId: "r",
      pathPrefix: "/api",
      method: "GET",
      outcome: "body" as const,
      pointer: "/items/2/price",
      legacyStatus: 200,
      newStatus: 200,
      legacyLatencyMs: 12,
      newLatencyMs: 30,
      colo: "FRA",
      country: "DE",
    };
    expect(toShadowDataPoint(record)).toEqual({
      indexes: ["r"],
      blobs: ["shadow", "body", "GET", "2xx", "FRA", "DE", "/api", "/items/2/price"],
      doubles: [30, 200, -1, 200, 12],
    });
    expect(toShadowDataPoint({ ...record, outcome: "error", pointer: null, newStatus: 0, newLatencyMs: null }).blobs![3]).toBe("error");
    for (let i = 0; i < MAX_DATA_POINTS_PER_INVOCATION + 5; i++) sink.writeShadow(record);
    expect(points).toHaveLength(MAX_DATA_POINTS_PER_INVOCATION);
  });
});
