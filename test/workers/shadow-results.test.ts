/**
 * Shadow results as an operator reads them: mirrors counted per rollout and matched path prefix,
 * mismatches by kind with the first difference of each as an example, unanswered mirrors as
 * errors; the per-isolate slots that keep mirrors from piling up.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminJson } from "./helpers";
import { clearReceived, eventually, received, shadowReport, shadowRollout, through } from "./shadow-helpers";

const ignoreRequestId = { ignore: ["/meta/requestId"] };

/** Sends `count` requests to `path` of rollout `id`, from distinct users, bodies read. */
async function send(id: string, path: string, count: number, prefix = id): Promise<void> {
  for (let i = 0; i < count; i++) await (await through(id, path, `${prefix}-${i}`)).arrayBuffer();
}

describe("mismatches counted by kind, with examples", () => {
  it("finds new's different price at /items/2/price, whatever the key order, and shows both values", async () => {
    await shadowRollout(
      "drift",
      env.TEST_SHADOW_DRIFT_ORIGIN,
      { percent: 100, compare: ignoreRequestId },
      { match: { hosts: ["drift.shadow.test"], pathPrefixes: ["/__origin", "/"] } },
    );
    await send("drift", "/__origin/catalog", 6);
    const report = await shadowReport("drift", 6);
    expect(report.prefixes).toHaveLength(1);
    expect(report.prefixes[0]).toMatchObject({
      prefix: "/__origin",
      mirrored: 6,
      matched: 0,
      mismatched: 6,
      errors: 0,
      byKind: { status: 0, header: 0, body: 6 },
      mismatchRate: 1,
    });
    expect(report.totals).toEqual({ compared: 6, mismatched: 6, errors: 0, mismatchRate: 1 });
    expect(report.examples).toHaveLength(6);
    expect(report.examples[0]).toMatchObject({
      method: "GET",
      path: "/__origin/catalog",
      kind: "body",
      legacyStatus: 200,
      newStatus: 200,
      pointer: "/items/2/price",
      legacyValue: "7.25",
      newValue: "8.25",
    });
    // Newest first.
    const times = report.examples.map((e: { at: string }) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(report.prefixes[0].latencyMs.new.p50).toBeGreaterThanOrEqual(0);
  });

  it("compares a gzip-encoded answer by its JSON, not its compressed bytes", async () => {
    await shadowRollout("gzip", env.TEST_SHADOW_DRIFT_ORIGIN, { percent: 100 });
    await send("gzip", "/__origin/gzip", 2);
    const report = await shadowReport("gzip", 2);
    expect(report.examples[0]).toMatchObject({ kind: "body", pointer: "/items/2/price", legacyValue: "7.25", newValue: "8.25" });
  });

  it("counts a differing status as a status mismatch and a matching answer as a match, per prefix", async () => {
    await shadowRollout("kinds", env.TEST_SHADOW_FAIL_ORIGIN, { percent: 100, compare: ignoreRequestId }, { match: { hosts: ["kinds.shadow.test"], pathPrefixes: ["/a", "/"] } });
    await send("kinds", "/a/__origin/bytes?n=10", 3);
    const failing = await shadowReport("kinds", 3);
    expect(failing.prefixes[0]).toMatchObject({ prefix: "/a", mismatched: 3, byKind: { status: 3, header: 0, body: 0 } });
    expect(failing.examples[0]).toMatchObject({ kind: "status", pointer: null, legacyStatus: 200, newStatus: 500, legacyValue: "200", newValue: "500" });

    await shadowRollout("agree", env.TEST_SHADOW_NEW_ORIGIN, { percent: 100, compare: ignoreRequestId });
    await send("agree", "/__origin/catalog", 4);
    const agreeing = await shadowReport("agree", 4);
    expect(agreeing.prefixes).toEqual([expect.objectContaining({ prefix: "/", mirrored: 4, matched: 4, mismatched: 0, mismatchRate: 0 })]);
    expect(agreeing.examples).toEqual([]);
  });

  it("counts the request id that differs on every answer until the operator ignores it", async () => {
    await shadowRollout("noise", env.TEST_SHADOW_NEW_ORIGIN, { percent: 100 });
    await send("noise", "/__origin/catalog", 3);
    const noisy = await shadowReport("noise", 3);
    expect(noisy.totals).toMatchObject({ compared: 3, mismatched: 3 });
    expect(noisy.examples[0]).toMatchObject({ kind: "body", pointer: "/meta/requestId" });
    expect(noisy.examples[0].legacyValue).toMatch(/^"[0-9a-f-]{36}"$/);
  });

  it("compares the headers it is told to, and reports the first that differs", async () => {
    await shadowRollout("headers", env.TEST_SHADOW_NEW_ORIGIN, { percent: 100, compare: { headers: ["content-type", "x-origin"], body: "none" } });
    await send("headers", "/__origin/bytes?n=10", 2);
    const report = await shadowReport("headers", 2);
    expect(report.examples[0]).toMatchObject({ kind: "header", pointer: "/headers/x-origin", legacyValue: '"legacy"', newValue: '"new"' });
  });

  it("counts a mirror new never answers (hang, refused connection) as an error, not a mismatch", async () => {
    await shadowRollout("silent", env.TEST_SHADOW_HANG_ORIGIN, { percent: 100 }, { timeoutMs: 300 });
    await send("silent", "/__origin/catalog", 3);
    const hung = await shadowReport("silent", 3);
    expect(hung.totals).toEqual({ compared: 0, mismatched: 0, errors: 3, mismatchRate: null });
    expect(hung.prefixes[0]).toMatchObject({ mirrored: 3, errors: 3, mismatchRate: null });

    await shadowRollout("refused", env.TEST_CLOSED_ORIGIN, { percent: 100 });
    await send("refused", "/__origin/catalog", 2);
    expect((await shadowReport("refused", 2)).totals).toMatchObject({ compared: 0, errors: 2 });
  });

  it("answers 404 for an unknown rollout and 400 for a bad window", async () => {
    expect((await adminJson("GET", "/rollouts/nope/shadow")).status).toBe(404);
    const bad = await adminJson("GET", "/rollouts/drift/shadow?window=5");
    expect(bad.status).toBe(400);
  });
});

describe("one client's weight in the comparison", () => {
  it("compares at most two of one identity's requests a second: a client repeating a mismatching request does not make the mismatch rate", async () => {
    await shadowRollout(
      "flooded",
      env.TEST_SHADOW_DRIFT_ORIGIN,
      { percent: 100, compare: ignoreRequestId },
      { match: { hosts: ["flooded.shadow.test"], pathPrefixes: ["/__origin", "/"] } },
    );
    const before = (await adminJson("GET", "/stats")).body.isolate;
    const started = Date.now();
    for (let i = 0; i < 30; i++) await (await through("flooded", "/__origin/catalog", "one-client")).arrayBuffer();
    const seconds = Math.ceil((Date.now() - started) / 1000);
    // Ten other users, once each: all compared.
    await send("flooded", "/__origin/catalog", 10, "flooded-user");
    const after = (await adminJson("GET", "/stats")).body.isolate;
    const capped = after.shadowIdentityCapped - before.shadowIdentityCapped;
    // What reached the control plane: the ten users, and from the one client at most two a second.
    const report = await shadowReport("flooded", 10 + 2);
    await new Promise((r) => setTimeout(r, 1200)); // anything later has been flushed by now
    const { totals } = await shadowReport("flooded", 10 + 2);
    const fromTheClient = totals.compared - 10;
    expect(fromTheClient).toBeGreaterThanOrEqual(2);
    expect(fromTheClient).toBeLessThanOrEqual(2 * (seconds + 1));
    expect(fromTheClient + capped).toBe(30);
    expect(report.totals.mismatched).toBe(report.totals.compared);
  });
});

describe("the isolate's mirror slots", () => {
  it("never has more than maxConcurrent mirrors of a rollout in flight, and frees a slot when one ends", async () => {
    await shadowRollout("capped", env.TEST_SHADOW_HANG_ORIGIN, { percent: 100, maxConcurrent: 2 }, { timeoutMs: 1500 });
    await clearReceived(env.TEST_SHADOW_HANG_ORIGIN);
    const before = (await adminJson("GET", "/stats")).body.isolate;
    // Ten users at once while new hangs: two mirrors go, eight requests are not mirrored.
    await Promise.all(Array.from({ length: 10 }, (_, i) => through("capped", "/__origin/bytes?n=10", `cap-${i}`).then((r) => r.arrayBuffer())));
    await new Promise((r) => setTimeout(r, 400));
    expect(await received(env.TEST_SHADOW_HANG_ORIGIN)).toHaveLength(2);
    const after = (await adminJson("GET", "/stats")).body.isolate;
    expect(after.shadowSkipped - before.shadowSkipped).toBe(8);
    // Once the two time out, two more may go.
    const report = await shadowReport("capped", 2);
    expect(report.totals.errors).toBe(2);
    await Promise.all(Array.from({ length: 5 }, (_, i) => through("capped", "/__origin/bytes?n=10", `cap-again-${i}`).then((r) => r.arrayBuffer())));
    await eventually("two more mirrors", async () => (await received(env.TEST_SHADOW_HANG_ORIGIN)).length === 4);
    await new Promise((r) => setTimeout(r, 300));
    expect(await received(env.TEST_SHADOW_HANG_ORIGIN)).toHaveLength(4);
  });
});
