/**
 * Abuse of the admin API through the worker's own fetch: every write endpoint against a catalogue
 * of bad inputs (./fuzz/), each answered with a 4xx problem and leaving the state exactly as it was;
 * and many operators writing at once against one version.
 */
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RolloutState } from "../../control/rollout-state";
import { STATE_OBJECT_NAME } from "../../contracts/env";
import { BODY_KINDS } from "./fuzz/body-kinds";
import { ENDPOINTS, FUZZ_GUARD, FUZZ_RULES, FUZZ_SEGMENT, FUZZ_STAGES, type BadRequest, type Target } from "./fuzz/endpoints";
import { FIELD_KINDS } from "./fuzz/field-kinds";
import { REQUEST_KINDS } from "./fuzz/request-kinds";
import { admin, adminJson, resetDefault, ROUTER } from "./helpers";

const KINDS = [...BODY_KINDS, ...FIELD_KINDS, ...REQUEST_KINDS];

/** Random requests per kind, on top of one per endpoint the kind applies to. */
const RANDOM_RUNS = 3;

/** The Durable Object's clock is frozen here, so that GET /rollouts (stage countdowns) is stable byte for byte. */
const FROZEN_AT = Date.parse("2026-06-01T12:00:00.000Z");

const stub = () => env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));

async function setClock(at: number | null) {
  await runInDurableObject(stub(), (instance: RolloutState) => {
    instance.now = at === null ? () => new Date() : () => new Date(at);
  });
}

/** Everything a write could change: the rollout list with the config version, the segments, the newest audit entry, the target's pushed signals. */
async function observable(): Promise<{ rollouts: string; segments: string; newestAudit: string; signals: string }> {
  const list = await admin("GET", "/rollouts");
  const segments = await admin("GET", "/segments");
  const audit = await admin("GET", "/audit?limit=1");
  const signals = await admin("GET", "/rollouts/fuzz/signals");
  return { rollouts: await list.text(), segments: await segments.text(), newestAudit: await audit.text(), signals: await signals.text() };
}

function send(req: BadRequest): Promise<Response> {
  return exports.default.fetch(`${ROUTER}/__admin/api${req.path}`, { method: req.method, headers: req.headers, body: req.body });
}

/** The request, shortened, for a failure message. */
function show(req: BadRequest & { endpoint: string }): string {
  const body = req.body === undefined ? "(none)" : typeof req.body === "string" ? req.body : `bytes ${[...req.body].join(",")}`;
  const { authorization: _, ...headers } = req.headers;
  return `${req.endpoint}: ${req.method} ${req.path.slice(0, 120)} ${JSON.stringify(headers)} body ${body.length} chars: ${body.slice(0, 160)}`;
}

let target: Target;

beforeAll(async () => {
  await setClock(FROZEN_AT);
  await resetDefault({ percent: 10 });
  await admin("DELETE", "/rollouts/fuzz");
  const segment = await adminJson("PUT", "/segments/fuzz-beta", FUZZ_SEGMENT);
  if (segment.status !== 201) throw new Error(`could not create the fuzz segment: ${segment.status} ${JSON.stringify(segment.body)}`);
  const origins = { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN };
  const created = await adminJson("PUT", "/rollouts/fuzz", { origins, match: { pathPrefixes: ["/fuzz"] }, percent: 10, stages: FUZZ_STAGES, guard: FUZZ_GUARD, rules: FUZZ_RULES });
  if (created.status !== 201) throw new Error(`could not create the fuzz target: ${created.status} ${JSON.stringify(created.body)}`);
  const list = await adminJson("GET", "/rollouts");
  target = {
    id: "fuzz",
    rolloutVersion: created.body.rollout.version,
    configVersion: list.body.version,
    origins,
    pathPrefix: "/fuzz",
    segment: "fuzz-beta",
    segmentVersion: segment.body.segment.version,
  };
});

afterAll(async () => {
  await setClock(null);
});

describe("admin write endpoints under bad input", () => {
  it("has at least 50 distinct kinds of bad input, and each applies to some endpoint", () => {
    expect(new Set(KINDS.map((k) => k.name)).size).toBe(KINDS.length);
    expect(KINDS.length).toBeGreaterThanOrEqual(50);
    for (const kind of KINDS) expect(ENDPOINTS.filter(kind.appliesTo), kind.name).not.toHaveLength(0);
  });

  it.each(KINDS.map((k) => [k.name, k] as const))("refuses %s with a 4xx problem and changes nothing", async (_, kind) => {
    const endpoints = ENDPOINTS.filter(kind.appliesTo);
    const arbitrary = fc.constantFrom(...endpoints).chain((e) => kind.request(e, target).map((r) => ({ ...r, endpoint: e.name })));
    // Every endpoint the kind applies to once, then random ones.
    const examples = endpoints.map((e, i) => [{ ...fc.sample(kind.request(e, target), { seed: i, numRuns: 1 })[0]!, endpoint: e.name }] as [BadRequest & { endpoint: string }]);
    const before = await observable();
    await fc.assert(
      fc.asyncProperty(arbitrary, async (req) => {
        const res = await send(req);
        const text = await res.text();
        const context = `${show(req)}\n→ ${res.status} ${text.slice(0, 300)}`;
        expect(res.status, context).toBeGreaterThanOrEqual(400);
        expect(res.status, context).toBeLessThan(500);
        expect(res.headers.get("content-type"), context).toBe("application/problem+json");
        const problem = JSON.parse(text) as { type: string; status: number };
        expect(problem.type, context).toMatch(/^urn:edge-router:[a-z-]+$/);
        expect(problem.status, context).toBe(res.status);
        expect(await observable(), context).toEqual(before);
      }),
      { examples, numRuns: RANDOM_RUNS, endOnFailure: true },
    );
  });
});

describe("nesting depth and prototype member names", () => {
  const deep = (levels: number) => `{"nested":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}}`;

  it("refuses a body nested 5,000 levels deep with a 422 that says so, on PATCH and on POST /kill", async () => {
    for (const [method, path] of [
      ["PATCH", "/rollouts/fuzz"],
      ["POST", "/kill"],
    ]) {
      const res = await adminJson(method!, path!, deep(5000));
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ type: "urn:edge-router:invalid-body", errors: [{ pointer: "", message: "nested too deeply (more than 64 levels)" }] });
    }
  });

  it("counts nesting from 65 levels, and never inside strings", async () => {
    expect((await adminJson("PATCH", "/rollouts/fuzz", deep(64))).body.errors).toEqual([{ pointer: "", message: "unknown field: nested" }]);
    expect((await adminJson("PATCH", "/rollouts/fuzz", deep(65))).body.errors[0].message).toMatch(/nested too deeply/);
    const description = `\\"${"[{".repeat(200)}`;
    const res = await adminJson("PATCH", "/rollouts/default", `{"description":"${description}"}`);
    expect(res.status).toBe(200);
    expect(res.body.rollout.config.description).toBe(`"${"[{".repeat(200)}`);
    await resetDefault({ percent: 10 });
  });

  it("refuses __proto__, constructor and prototype members anywhere, naming each one's JSON pointer", async () => {
    const before = await observable();
    const body = '{"__proto__":{"percent":100},"match":{"__proto__":{"hosts":["evil.example"]}},"stickiness":[{"header":"x-user-id","constructor":{"prototype":1}}]}';
    const res = await adminJson("PATCH", "/rollouts/fuzz", body);
    expect(res.status).toBe(422);
    expect(res.body.type).toBe("urn:edge-router:invalid-body");
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      "/__proto__",
      "/match/__proto__",
      "/stickiness/0/constructor",
      "/stickiness/0/constructor/prototype",
    ]);
    expect(await observable()).toEqual(before);
  });
});

describe("concurrent writes", () => {
  it("lets exactly one of 100 concurrent writes with the same If-Match win, and keeps the winner's write", async () => {
    const current = await adminJson("GET", "/rollouts/fuzz");
    const tag = `"${current.body.version}"`;
    const newestSeq = (await adminJson("GET", "/audit?limit=1")).body.entries[0].seq;
    const writes = await Promise.all(Array.from({ length: 100 }, (_, i) => adminJson("PATCH", "/rollouts/fuzz", { description: `writer ${i}` }, { "if-match": tag })));
    const winners = writes.filter((w) => w.status === 200);
    const losers = writes.filter((w) => w.status === 412);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(99);
    const winner = winners[0]!.body;
    for (const loser of losers) expect(loser.body).toMatchObject({ type: "urn:edge-router:version-mismatch", expected: current.body.version, current: winner.version });
    const after = await adminJson("GET", "/rollouts/fuzz");
    expect(after.body.config.description).toBe(winner.rollout.config.description);
    expect(after.body.version).toBe(winner.version);
    expect(after.headers.get("etag")).toBe(`"${winner.version}"`);
    const audit = (await adminJson("GET", `/audit?limit=10&rollout=fuzz`)).body.entries.filter((e: { seq: number }) => e.seq > newestSeq);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "patch", after: { description: winner.rollout.config.description } });
  });
});
