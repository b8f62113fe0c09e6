/**
 * Named tokens and scopes, as an operator (or an attacker holding a token) meets them: every route
 * the admin app serves, called with a token of each scope, is allowed or refused (403) as the table
 * below says; a route the table does not know fails the test, so no route ships without a scope.
 */
import { DEFAULT_MAX_STALENESS_MS } from "../../contracts/vars";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createAdminApp } from "../../admin/app";
import type { TokenScope } from "../../contracts/tokens";
import { DurableObjectConfigSource } from "../../edge/config-source";
import { SnapshotCache } from "../../edge/snapshot-cache";
import { ADMIN_TOKEN, adminJson, resetDefault, ROUTER } from "./helpers";

type Needs = TokenScope | "public" | "any-token" | "percent-only-or-admin";

/** What each route needs, written down here independently of the routes' own declarations. */
const EXPECTED: Record<string, Needs> = {
  "GET /__admin": "public",
  "GET /__admin/": "public",
  "GET /__admin/api/openapi.json": "public",
  "GET /__admin/api/rollouts": "read",
  "GET /__admin/api/rollouts/:id": "read",
  "PUT /__admin/api/rollouts/:id": "admin",
  "PATCH /__admin/api/rollouts/:id": "percent-only-or-admin",
  "DELETE /__admin/api/rollouts/:id": "admin",
  "POST /__admin/api/rollouts/:id/kill": "operate",
  "POST /__admin/api/rollouts/:id/resume": "operate",
  "POST /__admin/api/rollouts/:id/pause": "operate",
  "POST /__admin/api/rollouts/:id/continue": "operate",
  "POST /__admin/api/rollouts/:id/promote": "operate",
  "POST /__admin/api/rollouts/:id/approve": "operate",
  "GET /__admin/api/notifications": "read",
  "PUT /__admin/api/notifications": "admin",
  "GET /__admin/api/notifications/deliveries": "read",
  "GET /__admin/api/rollouts/:id/health": "read",
  "GET /__admin/api/rollouts/:id/shadow": "read",
  "POST /__admin/api/rollouts/:id/signals/:name": "operate",
  "GET /__admin/api/rollouts/:id/signals/:name": "read",
  "GET /__admin/api/rollouts/:id/signals": "read",
  "POST /__admin/api/kill": "operate",
  "POST /__admin/api/resume": "operate",
  "POST /__admin/api/rollouts/:id/override-token": "admin",
  "POST /__admin/api/override-tokens/revoke": "admin",
  "GET /__admin/api/rollouts/:id/analytics": "read",
  "GET /__admin/api/stats": "read",
  "GET /__admin/api/audit": "read",
  "GET /__admin/api/whoami": "any-token",
  "GET /__admin/api/tokens": "admin",
  "POST /__admin/api/tokens": "admin",
  "DELETE /__admin/api/tokens/:id": "admin",
  "GET /__admin/api/segments": "read",
  "GET /__admin/api/segments/:name": "read",
  "PUT /__admin/api/segments/:name": "admin",
  "DELETE /__admin/api/segments/:name": "admin",
};

const SCOPES: TokenScope[] = ["read", "operate", "admin", "evaluate"];
const tokens: Partial<Record<TokenScope, string>> = {};

/** Calls the worker with `token` (none: no Authorization). */
function call(token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(`${ROUTER}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function createToken(name: string, scopes: TokenScope[], expiresAt?: string): Promise<{ id: string; token: string }> {
  const { status, body } = await adminJson("POST", "/tokens", { name, scopes, ...(expiresAt ? { expiresAt } : {}) });
  expect(status, JSON.stringify(body)).toBe(201);
  return body;
}

/**
 * A request to `path` that changes nothing whoever sends it: an unknown rollout or token id, a
 * stale If-Match on the global switches, bodies refused once past the scope check.
 */
function harmless(method: string, path: string): { path: string; body?: unknown; headers: Record<string, string> } {
  const concrete = path.replace("/tokens/:id", "/tokens/0000000000000000").replace(":id", "nope").replace(":name", "nope");
  const revoke = concrete.endsWith("/override-tokens/revoke");
  const bodies: Record<string, unknown> = { PATCH: { percent: 1 }, PUT: {}, POST: revoke ? { before: "2999-01-01T00:00:00Z" } : {} };
  return { path: concrete, body: bodies[method], headers: { "if-match": '"1"' } };
}

/** Whether a token of `scope` may call a route that needs `needs` (with a percent-only PATCH body). */
function allowed(needs: Needs, scope: TokenScope | undefined): boolean {
  if (needs === "public") return true;
  if (scope === undefined) return false;
  if (scope === "admin" || needs === "any-token") return true;
  if (needs === "percent-only-or-admin") return scope === "operate";
  return needs === scope;
}

const FRESHNESS_MS = 250;

/**
 * The admin app of another isolate, as edge/isolate.ts builds it: named tokens come from its own
 * snapshot cache (freshness 250 ms, on `clock`), which no write of the worker's isolate refreshes.
 */
function otherIsolate(clock: () => number) {
  const cache = new SnapshotCache(new DurableObjectConfigSource(env.ROLLOUT_STATE), { freshnessMs: FRESHNESS_MS }, clock);
  const app = createAdminApp({
    clock,
    snapshotTokens: async (now) => {
      const read = await cache.read(now);
      return read.kind === "table" ? read.table.tokens : undefined;
    },
  });
  return (token: string) => app.fetch(new Request(`${ROUTER}/__admin/api/rollouts`, { headers: { authorization: `Bearer ${token}` } }), env);
}
const served = () => {
  const keys = createAdminApp()
    .routes.filter((r) => r.method !== "ALL")
    .map((r) => `${r.method} ${r.path}`);
  return [...new Set(keys)];
};

beforeAll(async () => {
  await resetDefault();
  for (const scope of SCOPES) tokens[scope] = (await createToken(`scope-${scope}`, [scope])).token;
});

describe("every admin route × every scope", () => {
  it("knows every route the app serves: a new route needs a declared scope here and requires(...) on the route", () => {
    const unknown = served().filter((key) => !(key in EXPECTED));
    expect(unknown, "routes without a declared scope").toEqual([]);
    expect(served().sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))("%s needs %s", async (key, needs) => {
    const [method, path] = key.split(" ") as [string, string];
    const request = harmless(method, path);
    for (const scope of [undefined, ...SCOPES]) {
      const res = await call(scope && tokens[scope], method, request.path, request.body, request.headers);
      const label = `${key} with ${scope ?? "no"} token: ${res.status}`;
      if (allowed(needs, scope)) {
        expect([401, 403], label).not.toContain(res.status);
      } else if (scope === undefined) {
        expect(res.status, label).toBe(401);
      } else {
        expect(res.status, label).toBe(403);
        const problem = await res.json<{ type: string; requiredScope: string; detail: string }>();
        expect(problem.type).toBe("urn:edge-router:forbidden");
        expect(problem.requiredScope).toBe(needs === "percent-only-or-admin" ? "operate" : needs);
        expect(problem.detail).toContain(`"scope-${scope}"`);
      }
    }
  });

  it("describes each route's scope in the OpenAPI document as the table says", async () => {
    const doc = await (await call(undefined, "GET", "/__admin/api/openapi.json")).json<{ paths: Record<string, Record<string, Record<string, string>>> }>();
    for (const [key, needs] of Object.entries(EXPECTED)) {
      const [method, path] = key.split(" ") as [string, string];
      if (!path.startsWith("/__admin/api/") || needs === "public") continue;
      const op = doc.paths[path.replace("/__admin/api", "").replace(/:(\w+)/g, "{$1}")]![method.toLowerCase()]!;
      const want = needs === "percent-only-or-admin" ? "admin" : needs === "any-token" ? "any" : needs;
      expect(op["x-required-scope"], key).toBe(want);
      expect(op.summary, key).toMatch(/Scope: |Any valid token/);
    }
  });
});

describe("a PATCH is an operation only when it changes the percentage alone", () => {
  it("lets operate change percent, and refuses it any other field with a 403 naming admin", async () => {
    await resetDefault({ percent: 10 });
    const percent = await call(tokens.operate, "PATCH", "/__admin/api/rollouts/default", { percent: 20 });
    expect(percent.status).toBe(200);
    const other = await call(tokens.operate, "PATCH", "/__admin/api/rollouts/default", { percent: 30, description: "sneaky" });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ type: "urn:edge-router:forbidden", requiredScope: "admin" });
    const { body } = await adminJson("GET", "/rollouts/default");
    expect(body.config).toMatchObject({ percent: 20 });
    expect(body.config.description).toBeUndefined();
  });
});

describe("the audit log names the token", () => {
  it("records the token's name as actor and X-Actor as a note, and never a secret or hash", async () => {
    await resetDefault();
    const res = await call(tokens.operate, "POST", "/__admin/api/rollouts/default/kill", { reason: "drill" }, { "x-actor": "alice@example.com" });
    expect(res.status).toBe(200);
    const { body } = await adminJson("GET", "/audit?limit=1000");
    expect(body.entries[0]).toMatchObject({ actor: "scope-operate", note: "X-Actor: alice@example.com", action: "kill", reason: "drill" });
    const created = body.entries.find((e: { action: string; after: { name?: string } }) => e.action === "token-create" && e.after?.name === "scope-operate");
    expect(created).toMatchObject({ actor: "admin", after: { name: "scope-operate", scopes: ["operate"] } });
    const secret = tokens.operate!.split("_")[2]!;
    expect(JSON.stringify(body)).not.toContain(secret);
    expect(JSON.stringify(body)).not.toMatch(/"hash"/);
  });
});

describe("token lifecycle", () => {
  it("shows the secret once, lists tokens without secrets or hashes, refuses a second token of the same name", async () => {
    const listed = await adminJson("GET", "/tokens");
    expect(listed.status).toBe(200);
    const row = listed.body.tokens.find((t: { name: string }) => t.name === "scope-read");
    expect(Object.keys(row).sort()).toEqual(["createdAt", "createdBy", "expiresAt", "id", "name", "scopes"]);
    expect(JSON.stringify(listed.body)).not.toContain(tokens.read!.split("_")[2]!);
    const again = await adminJson("POST", "/tokens", { name: "scope-read", scopes: ["admin"] });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe("urn:edge-router:token-name-taken");
  });

  it("answers whoami with the token's name and scopes", async () => {
    expect(await (await call(tokens.evaluate, "GET", "/__admin/api/whoami")).json()).toEqual({ name: "scope-evaluate", scopes: ["evaluate"] });
    expect(await (await call(ADMIN_TOKEN, "GET", "/__admin/api/whoami")).json()).toEqual({ name: "admin", scopes: ["read", "operate", "admin", "evaluate"] });
  });

  it("refuses a token with the right id and a wrong secret", async () => {
    const [, id] = tokens.read!.split("_");
    const res = await call(`er_${id}_${"0".repeat(64)}`, "GET", "/__admin/api/rollouts");
    expect(res.status).toBe(401);
  });

  it("refuses a revoked token at once in the isolate that revoked it, and elsewhere within the snapshot's hard bound", async () => {
    const { id, token } = await createToken("soon-revoked", ["read"]);
    let now = 1_000_000;
    const elsewhere = otherIsolate(() => now);
    expect((await elsewhere(token)).status).toBe(200);

    expect((await adminJson("DELETE", `/tokens/${id}`)).status).toBe(200);
    expect((await call(token, "GET", "/__admin/api/rollouts")).status).toBe(401);
    // Past the hard bound, another isolate's next request waits for a fresh snapshot (edge/snapshot-cache.ts).
    now += DEFAULT_MAX_STALENESS_MS + 1;
    const late = await elsewhere(token);
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({ detail: expect.stringMatching(/unknown or has been revoked/) });
    expect((await adminJson("DELETE", `/tokens/${id}`)).status).toBe(404);
  });

  it("refuses a token after its expiresAt", async () => {
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const { token } = await createToken("short-lived", ["read"], expiresAt);
    let now = Date.now();
    const elsewhere = otherIsolate(() => now);
    expect((await elsewhere(token)).status).toBe(200);
    now = Date.parse(expiresAt);
    const expired = await elsewhere(token);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ detail: expect.stringMatching(/expired/) });
  });

  it("refuses an expiry in the past and unknown scopes, with pointers", async () => {
    const past = await adminJson("POST", "/tokens", { name: "stale", scopes: ["read"], expiresAt: "2020-01-01T00:00:00Z" });
    expect(past.status).toBe(422);
    expect(past.body.errors.map((e: { pointer: string }) => e.pointer)).toContain("/expiresAt");
    const scope = await adminJson("POST", "/tokens", { name: "stale", scopes: ["root"] });
    expect(scope.status).toBe(422);
    expect(scope.body.errors.map((e: { pointer: string }) => e.pointer)).toContain("/scopes/0");
    const reserved = await adminJson("POST", "/tokens", { name: "admin", scopes: ["read"] });
    expect(reserved.status).toBe(422);
  });
});
