import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdminApp } from "../../admin/app";
import type { RolloutState } from "../../control/rollout-state";
import { STATE_OBJECT_NAME } from "../../contracts/env";
import { admin, adminJson, resetDefault } from "./helpers";

const origins = () => ({ legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN });

/** The whole observable state: every rollout, the config version, the global kill switch, the audit size. */
async function observableState() {
  const list = await adminJson("GET", "/rollouts");
  const audit = await adminJson("GET", "/audit?limit=1000");
  return { list: list.body, auditEntries: audit.body.entries.length };
}

describe("authentication", () => {
  it("answers 401 without a token, with a wrong token, and with a non-bearer scheme", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: "Basic dGVzdA==" }] as Record<string, string>[]) {
      const res = await exports.default.fetch("http://router.test/__admin/api/rollouts", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
  });

  it("is closed, not open, when no ADMIN_TOKEN is configured", async () => {
    const app = createAdminApp();
    const res = await app.fetch(new Request("http://router.test/__admin/api/rollouts", { headers: { authorization: "Bearer " } }), { ...env, ADMIN_TOKEN: undefined });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ detail: expect.stringMatching(/closed: no ADMIN_TOKEN/) });
    const empty = await app.fetch(new Request("http://router.test/__admin/api/rollouts", { headers: { authorization: "Bearer x" } }), { ...env, ADMIN_TOKEN: "" });
    expect(empty.status).toBe(401);
  });
});

describe("rollout CRUD", () => {
  beforeEach(async () => {
    await resetDefault();
    await admin("DELETE", "/rollouts/checkout");
  });

  it("lists rollouts with the config version and the global kill switch", async () => {
    const { status, body } = await adminJson("GET", "/rollouts");
    expect(status).toBe(200);
    expect(body.version).toBeGreaterThan(0);
    expect(body.globalKill).toEqual({ killed: false, reason: null, at: null, by: null });
    expect(body.rollouts.map((r: { id: string }) => r.id)).toContain("default");
  });

  it("creates with PUT (201), reads it back with its version as ETag, replaces with PUT (200)", async () => {
    const created = await adminJson("PUT", "/rollouts/checkout", { origins: origins(), match: { pathPrefixes: ["/checkout"] }, percent: 10 });
    expect(created.status).toBe(201);
    expect(created.body.rollout).toMatchObject({ id: "checkout", config: { percent: 10 } });
    expect(created.headers.get("etag")).toBe(`"${created.body.version}"`);

    const read = await adminJson("GET", "/rollouts/checkout");
    expect(read.headers.get("etag")).toBe(`"${created.body.version}"`);
    expect(read.body).toMatchObject({ id: "checkout", version: created.body.version, updatedBy: "admin" });
    expect((await admin("GET", "/rollouts/checkout", undefined, { "if-none-match": `"${created.body.version}"` })).status).toBe(304);

    const replaced = await adminJson("PUT", "/rollouts/checkout", { origins: origins(), match: { pathPrefixes: ["/checkout"] }, percent: 20 });
    expect(replaced.status).toBe(200);
    expect(replaced.body.version).toBeGreaterThan(created.body.version);
  });

  it("PATCHes one field and returns the new version", async () => {
    const before = await adminJson("GET", "/rollouts/default");
    const patched = await adminJson("PATCH", "/rollouts/default", { percent: 25 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ changed: true, rollout: { config: { percent: 25 } } });
    // The rollout's version (its ETag) is the config version of its last change.
    expect(patched.body.version).toBeGreaterThan(before.body.version);
    expect(patched.body.rollout.version).toBe(patched.body.version);
    expect(patched.headers.get("etag")).toBe(`"${patched.body.version}"`);
  });

  it("DELETEs a rollout", async () => {
    await adminJson("PUT", "/rollouts/checkout", { origins: origins(), match: { pathPrefixes: ["/checkout"] } });
    expect((await admin("DELETE", "/rollouts/checkout")).status).toBe(200);
    expect((await admin("GET", "/rollouts/checkout")).status).toBe(404);
  });

  it("records who did what in the audit log, newest first, with before, after and reason; X-Actor only adds a note to the token's name", async () => {
    await adminJson("PATCH", "/rollouts/default", { percent: 5 }, { "x-actor": "alice@example.com" });
    await adminJson("POST", "/rollouts/default/kill", { reason: "p99 spike" });
    const { body } = await adminJson("GET", "/audit?limit=2");
    expect(body.entries).toHaveLength(2);
    expect(body.entries[0]).toMatchObject({ actor: "admin", action: "kill", rolloutId: "default", reason: "p99 spike", before: { killed: false }, after: { killed: true } });
    expect(body.entries[0]).not.toHaveProperty("note");
    expect(body.entries[1]).toMatchObject({ actor: "admin", note: "X-Actor: alice@example.com", action: "patch", before: { percent: 0 }, after: { percent: 5 } });
    expect(Date.parse(body.entries[0].at)).toBeGreaterThan(0);
    expect(body.entries[0].seq).toBeGreaterThan(body.entries[1].seq);
    const filtered = await adminJson("GET", "/audit?rollout=default&limit=1");
    expect(filtered.body.entries[0].action).toBe("kill");
  });
});

describe("bad input changes nothing", () => {
  beforeEach(async () => {
    await resetDefault({ percent: 10 });
  });

  const cases: Array<{ name: string; method: string; path: string; body?: unknown; headers?: Record<string, string>; status: number; type: string; pointer?: string }> = [
    { name: "malformed JSON", method: "PATCH", path: "/rollouts/default", body: '{"percent": 25', status: 400, type: "malformed-json" },
    { name: "an unknown field", method: "PATCH", path: "/rollouts/default", body: { percentage: 25 }, status: 422, type: "invalid-body", pointer: "" },
    { name: "an out-of-range percentage", method: "PATCH", path: "/rollouts/default", body: { percent: 250 }, status: 422, type: "invalid-body", pointer: "/percent" },
    { name: "a percentage finer than 0.01", method: "PATCH", path: "/rollouts/default", body: { percent: 10.001 }, status: 422, type: "invalid-body", pointer: "/percent" },
    {
      name: "a bad origin URL",
      method: "PATCH",
      path: "/rollouts/default",
      body: { origins: { new: "new.example.com" } },
      status: 422,
      type: "invalid-body",
      pointer: "/origins/new",
    },
    { name: "an unknown id", method: "PATCH", path: "/rollouts/nope", body: { percent: 1 }, status: 404, type: "rollout-not-found" },
    { name: "kill of an unknown id", method: "POST", path: "/rollouts/nope/kill", body: { reason: "x" }, status: 404, type: "rollout-not-found" },
    {
      name: "an invalid id in the URL",
      method: "PUT",
      path: "/rollouts/Not_A_Slug",
      body: { origins: { legacy: "https://a.example", new: "https://b.example" } },
      status: 422,
      type: "invalid-body",
      pointer: "/id",
    },
    { name: "a stale If-Match", method: "PATCH", path: "/rollouts/default", body: { percent: 30 }, headers: { "if-match": '"1"' }, status: 412, type: "version-mismatch" },
    {
      name: "a malformed If-Match",
      method: "PATCH",
      path: "/rollouts/default",
      body: { percent: 30 },
      headers: { "if-match": "yesterday" },
      status: 400,
      type: "invalid-if-match",
    },
    {
      name: "a non-JSON content type",
      method: "PATCH",
      path: "/rollouts/default",
      body: "percent=30",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      status: 415,
      type: "unsupported-media-type",
    },
    { name: "a body over 1 MiB", method: "PATCH", path: "/rollouts/default", body: JSON.stringify({ description: "x".repeat(1_100_000) }), status: 413, type: "body-too-large" },
    { name: "a missing body", method: "PUT", path: "/rollouts/default", status: 400, type: "missing-body" },
    { name: "a JSON array body", method: "PUT", path: "/rollouts/default", body: [1, 2], status: 422, type: "invalid-body" },
    {
      name: "an overlapping rollout",
      method: "PUT",
      path: "/rollouts/shadow",
      body: { origins: { legacy: "https://a.example", new: "https://b.example" } },
      status: 409,
      type: "overlapping-rollouts",
    },
    { name: "an unknown field in a kill body", method: "POST", path: "/rollouts/default/kill", body: { why: "x" }, status: 422, type: "invalid-body" },
    { name: "an invalid X-Actor", method: "PATCH", path: "/rollouts/default", body: { percent: 30 }, headers: { "x-actor": "<script>" }, status: 400, type: "invalid-actor" },
    { name: "an unknown endpoint", method: "POST", path: "/rollouts/default/explode", body: {}, status: 404, type: "not-found" },
  ];

  it.each(cases)("answers $name with $status and a precise problem", async ({ method, path, body, headers, status, type, pointer }) => {
    const before = await observableState();
    const res = await admin(method, path, body, headers);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = await res.json<{ type: string; title: string; detail: string; errors?: Array<{ pointer: string; message: string }> }>();
    expect(problem.type).toBe(`urn:edge-router:${type}`);
    expect(problem.title).toBeTruthy();
    if (pointer !== undefined) expect(problem.errors?.map((e) => e.pointer)).toContain(pointer);
    expect(await observableState()).toEqual(before);
  });

  it("answers a stale If-Match with the current version as ETag, so the operator can re-read and retry", async () => {
    const current = await adminJson("GET", "/rollouts/default");
    const res = await admin("PATCH", "/rollouts/default", { percent: 30 }, { "if-match": '"1"' });
    expect(res.headers.get("etag")).toBe(`"${current.body.version}"`);
    expect(await res.json()).toMatchObject({ expected: 1, current: current.body.version });
    const retry = await adminJson("PATCH", "/rollouts/default", { percent: 30 }, { "if-match": `"${current.body.version}"` });
    expect(retry.status).toBe(200);
  });

  it("lets exactly one of two operators writing against the same version win", async () => {
    const { body } = await adminJson("GET", "/rollouts/default");
    const tag = `"${body.version}"`;
    const [a, b] = await Promise.all([
      admin("PATCH", "/rollouts/default", { percent: 40 }, { "if-match": tag }),
      admin("PATCH", "/rollouts/default", { percent: 60 }, { "if-match": tag }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
  });

  it("rejects an invalid audit query", async () => {
    for (const q of ["limit=0", "limit=abc", "rollout=BAD", "colour=red"]) {
      const res = await admin("GET", `/audit?${q}`);
      expect(res.status, q).toBe(400);
    }
  });
});

describe("durable state", () => {
  it("keeps rollouts, the version, the kill switch and the audit log across a restart of the object", async () => {
    await resetDefault({ percent: 33 });
    await adminJson("POST", "/rollouts/default/kill", { reason: "before restart" });
    const before = await observableState();
    const stub = env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));
    await evictDurableObject(stub);
    const after = await observableState();
    expect(after).toEqual(before);
    expect(after.list.rollouts.find((r: { id: string }) => r.id === "default")).toMatchObject({ killReason: "before restart", config: { percent: 33, killed: true } });
  });

  it("stores state in the SQLite tables STORAGE.md lists", async () => {
    const stub = env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));
    const tables = await runInDurableObject(stub, (_instance: RolloutState, state) =>
      state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")
        .toArray()
        .map((r) => r.name),
    );
    expect(tables).toEqual([
      "audit",
      "deliveries",
      "external_marks",
      "external_states",
      "health_slots",
      "meta",
      "notice_marks",
      "rollouts",
      "segments",
      "shadow_examples",
      "shadow_slots",
      "signal_values",
      "tokens",
      "webhooks",
    ]);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: the tests walk an arbitrary OpenAPI document
type OpenApi = any;

describe("OpenAPI", () => {
  it("describes every admin route the app serves, and nothing it does not", async () => {
    const app = createAdminApp();
    const served = new Set(
      app.routes
        .filter((r) => r.path.startsWith("/__admin/api/") && r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace("/__admin/api", "").replace(/:(\w+)/g, "{$1}")}`),
    );
    const res = await exports.default.fetch("http://router.test/__admin/api/openapi.json");
    expect(res.status).toBe(200);
    const doc = await res.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    expect(doc.openapi).toBe("3.1.0");
    const described = new Set(Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`)));
    expect(described).toEqual(served);
  });

  it("documents request bodies with the validators' own rules", async () => {
    const doc = await (await exports.default.fetch("http://router.test/__admin/api/openapi.json")).json<OpenApi>();
    const put = doc.paths["/rollouts/{id}"].put.requestBody.content["application/json"].schema;
    expect(put.additionalProperties).toBe(false);
    expect(put.properties.percent).toMatchObject({ type: "number", minimum: 0, maximum: 100 });
    expect(put.required).toContain("origins");
  });
});

describe("analytics endpoint", () => {
  it("answers 501 with what to configure when CF_ACCOUNT_ID and CF_API_TOKEN are not set", async () => {
    await resetDefault();
    const res = await admin("GET", "/rollouts/default/analytics?minutes=30");
    expect(res.status).toBe(501);
    expect(await res.json()).toMatchObject({ type: "urn:edge-router:analytics-not-configured", missing: ["CF_ACCOUNT_ID", "CF_API_TOKEN"] });
  });

  it("runs the queries through the app when configured", async () => {
    await resetDefault();
    const seen: string[] = [];
    const app = createAdminApp({
      fetcher: (async (_url: RequestInfo | URL, init?: RequestInit) => {
        seen.push(String(init?.body));
        return Response.json({ data: [{ requests: 1 }] });
      }) as typeof fetch,
    });
    const res = await app.fetch(new Request("http://router.test/__admin/api/rollouts/default/analytics", { headers: { authorization: "Bearer test-admin-token" } }), {
      ...env,
      CF_ACCOUNT_ID: "a",
      CF_API_TOKEN: "t",
    });
    expect(res.status).toBe(200);
    const body = await res.json<{ results: Record<string, { rows: unknown[] }> }>();
    expect(Object.keys(body.results)).toEqual(["errorRatePerMinute", "latencyPercentiles", "requestsByColo"]);
    expect(seen).toHaveLength(3);
  });
});

describe("admin path prefix", () => {
  it("serves the API and dashboard under another prefix when configured, and only there", async () => {
    const app = createAdminApp({ prefix: "/ops" });
    const ok = await app.fetch(new Request("http://router.test/ops/api/rollouts", { headers: { authorization: "Bearer test-admin-token" } }), env);
    expect(ok.status).toBe(200);
    const doc = await (await app.fetch(new Request("http://router.test/ops/api/openapi.json"), env)).json<{ servers: Array<{ url: string }> }>();
    expect(doc.servers[0]!.url).toBe("/ops/api");
    expect((await app.fetch(new Request("http://router.test/ops/"), env)).headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    expect((await app.fetch(new Request("http://router.test/__admin/api/rollouts", { headers: { authorization: "Bearer test-admin-token" } }), env)).status).toBe(404);
  });
});
