/**
 * Targeting rules and segments through the worker: a beta cohort routed by a header at 0%, a claim
 * rule that only a verified token satisfies, the reason in the debug header, and the segment API
 * (CRUD, bad input refused with nothing stored, a segment in use kept).
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import type { RolloutState } from "../../control/rollout-state";
import { SCHEMA_VERSION } from "../../control/store/schema";
import { ADMIN_TOKEN, adminJson, echo, identityToken, proxied, resetDefault, VERIFIED_STICKINESS } from "./helpers";
import { schemaVersionOf, stateAtSchema } from "./first-release";
import { handleProxy } from "../../edge/handler";
import { toDataPoint } from "../../edge/record";
import { proxyDeps, readFromDurableObject } from "./proxy-deps";

const CANARY_RULE = { name: "canary-header", when: [{ header: "canary", equals: "true" }], variant: "new" as const };
const BETA_SEGMENT = { description: "Opted-in beta testers", when: [{ claim: "beta_tester", equals: true }] };

/** The decision header for a request as `user` with `headers`. */
async function decision(headers: Record<string, string>, user = "someone"): Promise<string> {
  const res = await proxied("/", { user, headers: { ...headers, "x-rollout-debug": "1", "x-rollout-token": ADMIN_TOKEN } });
  await res.arrayBuffer();
  return res.headers.get("x-rollout-decision") ?? "";
}

async function clearSegments(): Promise<void> {
  await resetDefault();
  const { body } = await adminJson("GET", "/segments");
  for (const s of body.segments) await adminJson("DELETE", `/segments/${s.name}`);
}

describe("a header rule: the Istio-style canary cohort", () => {
  it("routes requests with canary: true to new at 0%, everyone else by bucket, with the reason in the debug header", async () => {
    await resetDefault({ percent: 0, rules: [CANARY_RULE] });
    for (let i = 0; i < 20; i++) {
      expect((await echo("/", { user: `u${i}`, headers: { canary: "true" } })).origin).toBe("new");
      expect((await echo("/", { user: `u${i}`, headers: { canary: "false" } })).origin).toBe("legacy");
      expect((await echo("/", { user: `u${i}` })).origin).toBe("legacy");
    }
    expect(await decision({ canary: "true" })).toMatch(/variant=new; reason=rule:canary-header;/);
    expect(await decision({})).toMatch(/reason=bucket; bucket=\d+; threshold=0/);
  });

  it("names the rule in the log line and the Analytics Engine data point", async () => {
    await resetDefault({ percent: 0, rules: [CANARY_RULE] });
    const { d, logs, sink } = proxyDeps({ read: readFromDurableObject });
    const res = await handleProxy(new Request("http://router.test/", { headers: { "x-user-id": "u1", canary: "true", accept: "application/json" } }), d);
    expect((await res.json<{ origin: string }>()).origin).toBe("new");
    expect(logs.find((l) => l.event === "proxy")).toMatchObject({ variant: "new", reason: "rule:canary-header", bucket: null });
    expect(toDataPoint(sink.records[0]!).blobs!.slice(0, 2)).toEqual(["new", "rule:canary-header"]);
  });

  it("keeps the rule's users on legacy once the rollout is killed", async () => {
    await resetDefault({ percent: 0, rules: [CANARY_RULE] });
    expect((await adminJson("POST", "/rollouts/default/kill", { reason: "drill" })).status).toBe(200);
    expect((await echo("/", { user: "u1", headers: { canary: "true" } })).origin).toBe("legacy");
    await adminJson("POST", "/rollouts/default/resume");
  });

  it("reads the country Cloudflare reports, not a header the client sends", async () => {
    await resetDefault({ percent: 0, rules: [{ name: "dach", when: [{ country: ["DE", "AT", "CH"] }], variant: "new" as const }] });
    const from = async (country: string, headers: Record<string, string> = {}) => {
      const res = await proxied("/", { user: "u1", headers, cf: { country } } as RequestInit);
      return (await res.json<{ origin: string }>()).origin;
    };
    expect(await from("AT")).toBe("new");
    expect(await from("US", { "cf-ipcountry": "DE" })).toBe("legacy");
  });
});

describe("a claim rule: only what a verified token says", () => {
  beforeEach(clearSegments);

  it("sends a verified beta tester to new at 0%, and ignores the same claim in a token that does not verify", async () => {
    expect((await adminJson("PUT", "/segments/beta-testers", BETA_SEGMENT)).status).toBe(201);
    const rules = [{ name: "beta", when: [{ segment: "beta-testers" }], variant: "new" }];
    expect(
      (await adminJson("PUT", "/rollouts/default", { origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN }, stickiness: VERIFIED_STICKINESS, percent: 0, rules }))
        .status,
    ).toBe(200);

    const signed = await identityToken("ann", { beta_tester: true });
    expect((await echo("/", { headers: { authorization: `Bearer ${signed}` } })).origin).toBe("new");
    expect(await decision({ authorization: `Bearer ${signed}` })).toMatch(/reason=rule:beta; user=jwt:header:authorization/);

    const notBeta = await identityToken("bob", { beta_tester: false });
    expect((await echo("/", { headers: { authorization: `Bearer ${notBeta}` } })).origin).toBe("legacy");

    // The same claims, signed with another key: the token is skipped, the user is only claimed (x-user-id).
    const forged = await new SignJWT({ beta_tester: true })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("ann")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-key-0123456789abcdef"));
    expect((await echo("/", { user: "ann", headers: { authorization: `Bearer ${forged}` } })).origin).toBe("legacy");
    expect(await decision({ authorization: `Bearer ${forged}` }, "ann")).toMatch(/reason=bucket; .*user=header:x-user-id/);
  });
});

describe("the segment API", () => {
  beforeEach(clearSegments);

  it("creates, reads, lists, replaces and deletes a segment, each write audited and versioned", async () => {
    const created = await adminJson("PUT", "/segments/beta-testers", BETA_SEGMENT, { "if-match": '"0"' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ changed: true, segment: { name: "beta-testers", ...BETA_SEGMENT, updatedBy: "admin", usedBy: [] } });
    expect(created.headers.get("etag")).toBe(`"${created.body.segment.version}"`);

    const read = await adminJson("GET", "/segments/beta-testers");
    expect(read.body).toEqual(created.body.segment);
    const cached = await adminJson("GET", "/segments/beta-testers", undefined, { "if-none-match": `"${created.body.segment.version}"` });
    expect(cached.status).toBe(304);

    const replaced = await adminJson("PUT", "/segments/beta-testers", { ...BETA_SEGMENT, description: "v2" }, { "if-match": `"${created.body.segment.version}"` });
    expect(replaced.status).toBe(200);
    expect(replaced.body.version).toBe(created.body.version + 1);
    const same = await adminJson("PUT", "/segments/beta-testers", { ...BETA_SEGMENT, description: "v2" });
    expect(same.body).toMatchObject({ changed: false, version: replaced.body.version });

    const list = await adminJson("GET", "/segments");
    expect(list.body).toMatchObject({ version: replaced.body.version, segments: [{ name: "beta-testers", description: "v2" }] });

    const deleted = await adminJson("DELETE", "/segments/beta-testers");
    expect(deleted.body).toEqual({ version: replaced.body.version + 1, deleted: "beta-testers" });
    expect((await adminJson("GET", "/segments/beta-testers")).status).toBe(404);

    const audit = (await adminJson("GET", "/audit?limit=3")).body.entries;
    expect(audit.map((e: { action: string }) => e.action)).toEqual(["segment-delete", "segment-put", "segment-put"]);
    expect(audit[1]).toMatchObject({ actor: "admin", rolloutId: null, before: { name: "beta-testers" }, after: { name: "beta-testers", description: "v2" } });
  });

  const bad: Array<[string, string, string, unknown, Record<string, string>, number, string]> = [
    ["a name that is not a slug", "PUT", "/segments/Beta_Testers", BETA_SEGMENT, {}, 422, "invalid-body"],
    ["an empty condition list", "PUT", "/segments/beta", { when: [] }, {}, 422, "invalid-body"],
    ["a segment inside a segment", "PUT", "/segments/beta", { when: [{ segment: "other" }] }, {}, 422, "invalid-body"],
    ["a condition with two subjects", "PUT", "/segments/beta", { when: [{ header: "a", cookie: "b", equals: "1" }] }, {}, 422, "invalid-body"],
    ["an unknown member", "PUT", "/segments/beta", { ...BETA_SEGMENT, rules: [] }, {}, 422, "invalid-body"],
    ["a body naming another segment", "PUT", "/segments/beta", { ...BETA_SEGMENT, name: "gamma" }, {}, 422, "invalid-body"],
    ["a JSON array", "PUT", "/segments/beta", [], {}, 422, "invalid-body"],
    ["malformed JSON", "PUT", "/segments/beta", "{when:", {}, 400, "malformed-json"],
    ["no body", "PUT", "/segments/beta", undefined, {}, 400, "missing-body"],
    ["a stale If-Match on create", "PUT", "/segments/beta", BETA_SEGMENT, { "if-match": '"7"' }, 412, "version-mismatch"],
    ["a bad If-Match", "PUT", "/segments/beta", BETA_SEGMENT, { "if-match": "soon" }, 400, "invalid-if-match"],
    ["text instead of JSON", "PUT", "/segments/beta", BETA_SEGMENT, { "content-type": "text/plain" }, 415, "unsupported-media-type"],
    ["a delete of an unknown segment", "DELETE", "/segments/beta", undefined, {}, 404, "segment-not-found"],
    ["a delete with a bad name", "DELETE", "/segments/..%2Fx", undefined, {}, 422, "invalid-body"],
  ];

  it.each(bad)("refuses %s with a 4xx problem and stores nothing", async (_, method, path, body, headers, status, type) => {
    const before = await adminJson("GET", "/segments");
    const res = await adminJson(method, path, body, headers);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.type).toBe(`urn:edge-router:${type}`);
    expect(await adminJson("GET", "/segments")).toMatchObject({ body: before.body });
  });

  it("refuses a rule that names an unknown segment (422 with the pointer), and a delete while a rollout uses it (409 naming it)", async () => {
    const unknown = await adminJson("PATCH", "/rollouts/default", { rules: [{ name: "beta", when: [{ segment: "beta-testers" }], variant: "new" }] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ pointer: "/rules/0/when/0/segment", message: expect.stringMatching(/does not exist/) }]);

    await adminJson("PUT", "/segments/beta-testers", BETA_SEGMENT);
    expect((await adminJson("PATCH", "/rollouts/default", { rules: [{ name: "beta", when: [{ segment: "beta-testers" }], variant: "new" }] })).status).toBe(200);
    expect((await adminJson("GET", "/segments/beta-testers")).body.usedBy).toEqual(["default"]);
    const inUse = await adminJson("DELETE", "/segments/beta-testers");
    expect(inUse.status).toBe(409);
    expect(inUse.body).toMatchObject({ type: "urn:edge-router:segment-in-use", segment: "beta-testers", rollouts: ["default"] });
    expect((await adminJson("GET", "/segments/beta-testers")).status).toBe(200);
  });
});

it("migrates an object from before segments (schema 4) and takes segments", async () => {
  const stub = env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName("before-segments"));
  const result = await runInDurableObject(stub, async (_instance: RolloutState, state) => {
    const sql = state.storage.sql;
    // Migrations 1-4 as they ran then: what an object deployed before segments holds.
    stateAtSchema(sql, 4, { schemaVersion: "4", version: "2", globalKill: JSON.stringify({ killed: false, reason: null, at: null, by: null }) });
    const { RolloutState: Fresh } = await import("../../control/rollout-state");
    const fresh = new Fresh(state, env);
    const before = await fresh.getSnapshot(-1);
    const put = await fresh.apply({ type: "segment-put", name: "beta", body: BETA_SEGMENT }, "admin");
    const schema = schemaVersionOf(sql);
    return { before, put, schema, reloaded: await new Fresh(state, env).listSegments() };
  });
  expect(result.schema).toBe(String(SCHEMA_VERSION));
  expect(result.before).toMatchObject({ status: "snapshot", snapshot: { version: 2, segments: [] } });
  expect(result.put).toMatchObject({ ok: true, changed: true, created: true, version: 3 });
  expect(result.reloaded.segments).toEqual([expect.objectContaining({ name: "beta", when: BETA_SEGMENT.when, version: 3 })]);
});
