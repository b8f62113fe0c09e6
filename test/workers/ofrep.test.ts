/**
 * OFREP v1 through the Worker's own fetch handler, in workerd: the wire format the OpenFeature
 * providers expect (every error code, flat metadata, the bulk ETag and 304), the same decision as
 * the proxy, auth, and paths that are never proxied. CORS and the control-plane budget are in
 * ofrep-handler.test.ts.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, adminJson, echo, resetDefault, ROUTER } from "./helpers";

const FLAGS = "/ofrep/v1/evaluate/flags";

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever the endpoint answers
  body: any;
  headers: Headers;
}

/** A POST to an OFREP path with the admin token (as the `evaluate` scope), `body` sent as is when a string. */
async function ofrep(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await exports.default.fetch(`${ROUTER}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const evaluate = (key: string, targetingKey: string, attributes: Record<string, unknown> = {}) => ofrep(`${FLAGS}/${key}`, { context: { targetingKey, ...attributes } });
const bulk = (targetingKey: string, headers: Record<string, string> = {}) => ofrep(FLAGS, { context: { targetingKey } }, headers);

const users = (n: number, prefix = "u") => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

beforeAll(async () => {
  await resetDefault({ percent: 30 });
  const checkout = await adminJson("PUT", "/rollouts/checkout", {
    origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN },
    match: { pathPrefixes: ["/checkout"] },
    percent: 60,
  });
  expect([200, 201]).toContain(checkout.status);
});

describe("the decision", () => {
  it("gives each of 300 users the variant the proxy routes them to, at 30%", async () => {
    await resetDefault({ percent: 30 });
    let toNew = 0;
    const all = users(300);
    // Ten users at a time: the same 600 requests, in a time a loaded machine keeps under the timeout.
    for (let i = 0; i < all.length; i += 10) {
      const batch = all.slice(i, i + 10);
      const answers = await Promise.all(batch.map((user) => Promise.all([evaluate("default", user), echo("/", { user })])));
      for (const [j, [evaluation, proxied]] of answers.entries()) {
        expect(evaluation.status).toBe(200);
        expect(evaluation.body.variant, batch[j]).toBe(proxied.origin);
        expect(evaluation.body.value).toBe(proxied.origin === "new");
        if (evaluation.body.value) toNew++;
      }
    }
    // Both sides agreeing on "everyone legacy" would pass the loop: some users must be in new.
    expect(toNew).toBeGreaterThan(50);
    expect(toNew).toBeLessThan(130);
  }, 30_000);

  it("answers SPLIT with flat metadata: the config version, the router's reason, bucket and threshold", async () => {
    const version = await resetDefault({ percent: 30 });
    const { body, headers } = await evaluate("default", "meta-user", { plan: "pro", org: { id: 7 } });
    expect(headers.get("content-type")).toMatch(/^application\/json/);
    expect(body).toMatchObject({ key: "default", reason: "SPLIT", metadata: { configVersion: version, routerReason: "bucket", threshold: 3000 } });
    expect(body.metadata.bucket).toBeGreaterThanOrEqual(0);
    for (const value of Object.values(body.metadata)) expect(["string", "number", "boolean"]).toContain(typeof value);
  });

  it("answers DISABLED and false for every user once the rollout is killed, then follows the resume", async () => {
    await resetDefault({ percent: 100 });
    expect((await evaluate("default", "k-1")).body.value).toBe(true);
    expect((await admin("POST", "/rollouts/default/kill", { reason: "ofrep test" })).status).toBe(200);
    for (const user of users(50, "k")) {
      const { body } = await evaluate("default", user);
      expect(body).toMatchObject({ value: false, variant: "legacy", reason: "DISABLED", metadata: { routerReason: "killed", routerDetail: "rollout" } });
      expect((await echo("/", { user })).origin).toBe("legacy");
    }
    await resetDefault({ percent: 100 });
    expect((await evaluate("default", "k-1")).body).toMatchObject({ value: true, reason: "SPLIT" });
  });

  it("answers DISABLED under the global kill switch", async () => {
    await resetDefault({ percent: 100 });
    expect((await admin("POST", "/kill", { reason: "ofrep global" })).status).toBe(200);
    try {
      expect((await evaluate("checkout", "g-1")).body).toMatchObject({ value: false, reason: "DISABLED", metadata: { routerDetail: "global" } });
    } finally {
      await admin("POST", "/resume");
    }
  });

  it("applies allowlists to the targetingKey of an authenticated caller (a verified identity): TARGETING_MATCH", async () => {
    await resetDefault({ percent: 0, allowlist: { new: ["vip-7"], legacy: [] } });
    expect((await evaluate("default", "vip-7")).body).toMatchObject({ value: true, variant: "new", reason: "TARGETING_MATCH", metadata: { routerReason: "allowlist" } });
    expect((await evaluate("default", "not-vip")).body).toMatchObject({ value: false, reason: "SPLIT" });
  });
});

describe("errors, as the providers read them", () => {
  it("FLAG_NOT_FOUND (404) with the key for a flag no rollout has", async () => {
    const { status, body } = await evaluate("no-such-rollout", "u-1");
    expect(status).toBe(404);
    expect(body).toMatchObject({ key: "no-such-rollout", errorCode: "FLAG_NOT_FOUND", errorDetails: expect.stringContaining("no-such-rollout") });
  });

  it("TARGETING_KEY_MISSING (400) without a targetingKey, an empty one, or no context at all", async () => {
    for (const body of [{ context: {} }, { context: { targetingKey: "" } }, {}]) {
      const single = await ofrep(`${FLAGS}/default`, body);
      expect(single.status).toBe(400);
      expect(single.body).toMatchObject({ key: "default", errorCode: "TARGETING_KEY_MISSING" });
      const all = await ofrep(FLAGS, body);
      expect(all.status).toBe(400);
      expect(all.body.errorCode).toBe("TARGETING_KEY_MISSING");
      expect(all.body).not.toHaveProperty("flags");
    }
  });

  it("PARSE_ERROR (400) for a body that is not JSON, not an object, or too large", async () => {
    for (const body of ["{not json", "[1,2]", JSON.stringify({ context: { targetingKey: "u", blob: "x".repeat(70_000) } })]) {
      const { status, body: reply } = await ofrep(`${FLAGS}/default`, body);
      expect(status).toBe(400);
      expect(reply).toMatchObject({ key: "default", errorCode: "PARSE_ERROR" });
    }
  });

  it("INVALID_CONTEXT (400) for a context that is not an object or a targetingKey that is not a string", async () => {
    for (const body of [{ context: "alice" }, { context: { targetingKey: 42 } }, { context: { targetingKey: "x".repeat(2000) } }]) {
      const { status, body: reply } = await ofrep(`${FLAGS}/default`, body);
      expect(status).toBe(400);
      expect(reply).toMatchObject({ key: "default", errorCode: "INVALID_CONTEXT" });
    }
  });

  it("401 without a token or with a wrong one (before reading anything), with a Bearer challenge", async () => {
    for (const authorization of ["", "Bearer wrong-token", `Basic ${btoa(`x:${ADMIN_TOKEN}`)}`]) {
      const { status, headers, body } = await ofrep(`${FLAGS}/default`, { context: { targetingKey: "u" } }, { authorization });
      expect(status).toBe(401);
      expect(headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(body).not.toHaveProperty("value");
    }
    // A flag that does not exist is not revealed either.
    expect((await ofrep(`${FLAGS}/no-such`, { context: { targetingKey: "u" } }, { authorization: "" })).status).toBe(401);
  });
});

describe("bulk evaluation", () => {
  it("lists every rollout, with an ETag; 304 without a body when If-None-Match names it", async () => {
    await resetDefault({ percent: 30 });
    const first = await bulk("bulk-user");
    expect(first.status).toBe(200);
    expect(first.body.flags.map((f: { key: string }) => f.key)).toEqual(["checkout", "default"]);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await exports.default.fetch(`${ROUTER}${FLAGS}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "if-none-match": etag! },
      body: JSON.stringify({ context: { targetingKey: "bulk-user" } }),
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe("");
  });

  it("changes the ETag when a result for that user changes, and only answers 304 to the current one", async () => {
    await resetDefault({ percent: 0 });
    const before = await bulk("etag-user");
    await resetDefault({ percent: 100 });
    const after = await bulk("etag-user", { "if-none-match": before.headers.get("etag")! });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(before.headers.get("etag"));
    expect(after.body.flags.find((f: { key: string }) => f.key === "default").value).toBe(true);
    // Another user with other results gets another tag.
    await resetDefault({ percent: 30 });
    const tags = new Set<string>();
    for (const user of users(20, "tag")) tags.add((await bulk(user)).headers.get("etag")!);
    expect(tags.size).toBeGreaterThan(1);
  });
});

describe("the routes", () => {
  it("never proxies /ofrep/v1, in any spelling", async () => {
    for (const path of ["/ofrep/v1/unknown", "//ofrep/v1/evaluate/flags/default", "/ofrep/./v1/evaluate/flags/default"]) {
      const res = await exports.default.fetch(`${ROUTER}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: '{"context":{"targetingKey":"u"}}',
      });
      expect(res.headers.get("x-origin"), path).toBeNull();
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    }
    expect((await ofrep("//ofrep/v1/evaluate/flags/default", { context: { targetingKey: "u" } })).body.key).toBe("default");
  });

  it("answers 405 to a GET, and sends no CORS headers when OFREP_CORS_ORIGINS is empty", async () => {
    const get = await exports.default.fetch(`${ROUTER}${FLAGS}/default`, { headers: { origin: "https://app.example" } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, OPTIONS");
    const preflight = await exports.default.fetch(`${ROUTER}${FLAGS}`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    expect(preflight.status).toBe(204);
    expect([...preflight.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual([]);
  });
});
