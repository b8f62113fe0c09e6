import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminJson, echo, identityToken, proxied, resetDefault, VERIFIED_STICKINESS } from "./helpers";
import { probeOrigin, sha256Hex, waitForUpload, type UploadProgress, type UploadReceipt } from "./probe";

describe("transparent proxy", () => {
  beforeEach(async () => {
    await resetDefault({ percent: 0 });
  });

  it("forwards method, path, query, headers and body, and tells the origin the rollout and variant", async () => {
    const got = await echo("/orders/42?expand=items&x=%20y", {
      method: "POST",
      user: "alice",
      body: JSON.stringify({ qty: 2 }),
      headers: { "content-type": "application/json", "x-custom": "kept", "cf-connecting-ip": "203.0.113.9" },
    });
    expect(got).toMatchObject({ origin: "legacy", method: "POST", path: "/orders/42", query: "?expand=items&x=%20y", body: '{"qty":2}' });
    expect(got.headers).toMatchObject({
      "x-custom": "kept",
      "x-user-id": "alice",
      "content-type": "application/json",
      "x-rollout-id": "default",
      "x-rollout-variant": "legacy",
      "x-forwarded-for": "203.0.113.9",
      "x-forwarded-host": "router.test",
      "x-forwarded-proto": "http",
    });
  });

  it("replaces x-rollout-* headers a client tries to set", async () => {
    const got = await echo("/", { user: "bob", headers: { "x-rollout-variant": "new", "x-rollout-id": "spoof" } });
    expect(got.headers["x-rollout-variant"]).toBe("legacy");
    expect(got.headers["x-rollout-id"]).toBe("default");
  });

  it("streams a request body through: the origin has the first chunk before the client sends the second", async () => {
    await resetDefault({ percent: 0, origins: { legacy: probeOrigin(), new: probeOrigin() } });
    const id = `stream-${crypto.randomUUID()}`;
    const parts = ["first;", "second;", "third"];
    const encode = (text: string) => new TextEncoder().encode(text);
    let step = 0;
    let originHadBeforeSecond: UploadProgress | undefined;
    const body = new ReadableStream<Uint8Array>({
      // The client sends the first chunk, then holds the second back until the origin says it has
      // the first (or 3 s passed): a router that buffers the body delivers nothing before the end.
      async pull(controller) {
        if (step === 1) originHadBeforeSecond = await waitForUpload(id, parts[0]!.length, 3000);
        controller.enqueue(encode(parts[step]!));
        if (++step === parts.length) controller.close();
      },
    });
    const res = await proxied(`/__probe/upload/${id}`, { method: "PUT", user: "u", body, headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(200);
    expect(originHadBeforeSecond).toMatchObject({ bytes: parts[0]!.length, done: false });
    const receipt = await res.json<UploadReceipt>();
    expect(receipt).toMatchObject({ bytes: parts.join("").length, sha256: await sha256Hex(parts.join("")) });
    expect(receipt.chunks).toBeGreaterThanOrEqual(2);
  });

  it("returns the origin's status, headers and every Set-Cookie as sent", async () => {
    const res = await proxied("/__origin/cookies", { user: "u" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin")).toBe("legacy");
    expect(res.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/; HttpOnly"]);
    const teapot = await proxied("/__origin/status/418", { user: "u" });
    expect(teapot.status).toBe(418);
    expect(await teapot.text()).toBe("legacy answered 418\n");
  });

  it("does not follow redirects: the client gets the 302 and its Location", async () => {
    const res = await proxied("/__origin/redirect", { user: "u" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/__origin/landed");
  });

  it("streams the response: the first chunk arrives before the origin has finished", async () => {
    const started = Date.now();
    const res = await proxied("/__origin/stream?chunks=3&delayMs=400", { user: "u" });
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    const allAt = Date.now() - started;
    expect(new TextDecoder().decode(first.value)).toMatch(/^legacy chunk 0/);
    expect(rest).toMatch(/chunk 2/);
    // The origin needs 1,200 ms to finish; a buffering proxy would deliver nothing before then.
    expect(allAt).toBeGreaterThanOrEqual(1100);
    expect(firstAt).toBeLessThan(allAt - 600);
  });

  it("passes WebSocket upgrades through to the chosen origin", async () => {
    await resetDefault({ percent: 100 });
    const res = await proxied("/socket", { user: "ws-user", headers: { upgrade: "websocket" } });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    ws.accept();
    const message = new Promise<string>((resolve) => ws.addEventListener("message", (e) => resolve(String(e.data))));
    ws.send("hello");
    expect(await message).toBe("new: hello");
    ws.close();
  });

  it("refuses a request that already passed through the router (loop guard)", async () => {
    const res = await proxied("/", { user: "u", headers: { "cdn-loop": "cloudflare, edge-router" } });
    expect(res.status).toBe(508);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ type: "urn:edge-router:loop-detected", status: 508 });
  });

  it("marks what it forwards so that a loop through an origin is caught", async () => {
    const got = await echo("/", { user: "u" });
    expect(got.headers["cdn-loop"]).toBe("edge-router");
  });
});

describe("stickiness", () => {
  beforeEach(async () => {
    await resetDefault({ percent: 50 });
  });

  it("gives a user the same variant on every request", async () => {
    for (const user of ["u1", "u2", "u3", "u4", "u5", "u6"]) {
      const first = (await echo("/", { user })).origin;
      for (let i = 0; i < 3; i++) expect((await echo("/", { user })).origin).toBe(first);
    }
  });

  it("splits users between both origins at 50%", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) seen.add((await echo("/", { user: `split-${i}` })).origin);
    expect(seen).toEqual(new Set(["legacy", "new"]));
  });

  it("issues an anonymous id cookie to a browser without one, and honours it afterwards", async () => {
    const first = await proxied("/", {});
    const cookie = first.headers.getSetCookie().find((c) => c.startsWith("edge_rollout_uid="));
    expect(cookie).toMatch(/^edge_rollout_uid=[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=34560000; HttpOnly; Secure; SameSite=Lax$/);
    const origin = (await first.json<{ origin: string }>()).origin;
    const id = cookie!.split(";")[0]!;
    for (let i = 0; i < 5; i++) {
      const again = await proxied("/", { headers: { cookie: `other=1; ${id}` } });
      expect(again.headers.getSetCookie()).toEqual([]);
      expect((await again.json<{ origin: string }>()).origin).toBe(origin);
    }
  });

  it("reads the user id from the configured sources in order", async () => {
    await resetDefault({ percent: 50, stickiness: [{ header: "x-account" }, { cookie: "uid" }] });
    const byHeader = await echo("/", { headers: { "x-account": "acct-1", cookie: "uid=other" } });
    const byCookie = await echo("/", { headers: { cookie: "uid=acct-1" } });
    expect(byCookie.origin).toBe(byHeader.origin);
  });
});

describe("kill switch and overrides", () => {
  it("sends allowlisted and bucketed users to legacy once killed, and back after resume", async () => {
    await resetDefault({ percent: 100, allowlist: { new: ["vip"] } });
    expect((await echo("/", { user: "vip" })).origin).toBe("new");
    expect((await echo("/", { user: "anyone" })).origin).toBe("new");
    await adminJson("POST", "/rollouts/default/kill", { reason: "test" });
    expect((await echo("/", { user: "vip" })).origin).toBe("legacy");
    expect((await echo("/", { user: "anyone" })).origin).toBe("legacy");
    await adminJson("POST", "/rollouts/default/resume", {});
    expect((await echo("/", { user: "anyone" })).origin).toBe("new");
  });

  it("global kill overrides every rollout", async () => {
    await resetDefault({ percent: 100 });
    await adminJson("POST", "/kill", { reason: "incident" });
    expect((await echo("/", { user: "x" })).origin).toBe("legacy");
    await adminJson("POST", "/resume", {});
    expect((await echo("/", { user: "x" })).origin).toBe("new");
  });

  it("pins allowlisted users regardless of percentage, when their identity is verified", async () => {
    await resetDefault({ percent: 0, stickiness: VERIFIED_STICKINESS, allowlist: { new: ["qa-1"] } });
    expect((await echo("/", { headers: { authorization: `Bearer ${await identityToken("qa-1")}` } })).origin).toBe("new");
    await resetDefault({ percent: 100, stickiness: VERIFIED_STICKINESS, allowlist: { legacy: ["stay"] } });
    expect((await echo("/", { headers: { authorization: `Bearer ${await identityToken("stay")}` } })).origin).toBe("legacy");
  });

  it("never pins a user who only claims an allowlisted id (a header anyone can send)", async () => {
    await resetDefault({ percent: 0, stickiness: VERIFIED_STICKINESS, allowlist: { new: ["qa-1"] } });
    const res = await proxied("/", { user: "qa-1", headers: { "x-rollout-debug": "1", "x-rollout-token": ADMIN_TOKEN } });
    expect(res.headers.get("x-rollout-decision")).toMatch(/variant=legacy; reason=bucket;.*user=header:x-user-id/);
    const forged = (await identityToken("qa-1")).replace(/\.[^.]+$/, ".AAAA");
    expect((await echo("/", { headers: { authorization: `Bearer ${forged}` } })).origin).toBe("legacy");
  });

  it("honours a signed override token, ignores a forged one, and never bypasses a kill", async () => {
    await resetDefault({ percent: 0 });
    const { status, body } = await adminJson("POST", "/rollouts/default/override-token", { variant: "new", ttlSeconds: 600 });
    expect(status).toBe(200);
    expect(body.header).toBe("x-rollout-override");
    const token: string = body.token;
    expect((await echo("/", { user: "qa", headers: { "x-rollout-override": token } })).origin).toBe("new");
    expect((await echo("/", { user: "qa", headers: { cookie: `edge_rollout_override=${token}` } })).origin).toBe("new");
    const forged = token.replace(/\.[^.]+$/, ".AAAA");
    expect((await echo("/", { user: "qa", headers: { "x-rollout-override": forged } })).origin).toBe("legacy");
    const bare = "v1.default.new.99999999999.x";
    expect((await echo("/", { user: "qa", headers: { "x-rollout-override": bare } })).origin).toBe("legacy");
    // The origin never sees the token.
    expect((await echo("/", { user: "qa", headers: { "x-rollout-override": token } })).headers["x-rollout-override"]).toBeUndefined();
    await adminJson("POST", "/rollouts/default/kill", {});
    expect((await echo("/", { user: "qa", headers: { "x-rollout-override": token } })).origin).toBe("legacy");
  });
});

describe("debugging", () => {
  beforeEach(async () => {
    await resetDefault({ percent: 30 });
  });

  it("explains the decision in a response header when asked with the admin token", async () => {
    const res = await proxied("/", { user: "dbg", headers: { "x-rollout-debug": "1", "x-rollout-token": ADMIN_TOKEN } });
    expect(res.headers.get("x-rollout-decision")).toMatch(/^rollout=default; variant=(new|legacy); reason=bucket; bucket=\d+; threshold=3000; user=header:x-user-id; version=\d+$/);
    const seen = await res.json<{ headers: Record<string, string> }>();
    expect(seen.headers["x-rollout-token"]).toBeUndefined();
    expect(seen.headers["x-rollout-debug"]).toBeUndefined();
  });

  it("accepts the admin token as a bearer token and keeps it from the origin", async () => {
    const res = await proxied("/", { user: "dbg", headers: { "x-rollout-debug": "1", authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.headers.get("x-rollout-decision")).toMatch(/reason=bucket/);
    expect((await res.json<{ headers: Record<string, string> }>()).headers.authorization).toBeUndefined();
  });

  it("says nothing without the token, and forwards the client's own Authorization untouched", async () => {
    const res = await proxied("/", { user: "dbg", headers: { "x-rollout-debug": "1", authorization: "Bearer users-own-token" } });
    expect(res.headers.get("x-rollout-decision")).toBeNull();
    expect((await res.json<{ headers: Record<string, string> }>()).headers.authorization).toBe("Bearer users-own-token");
  });
});

describe("origin failures", () => {
  it("retries a body-less request on legacy when the new origin cannot be reached", async () => {
    await resetDefault({ percent: 100, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_CLOSED_ORIGIN } });
    const got = await echo("/retry-me", { user: "r" });
    expect(got.origin).toBe("legacy");
    expect(got.headers["x-rollout-variant"]).toBe("legacy");
  });

  it("answers 502 problem+json when a request with a body cannot reach the new origin (not safe to repeat)", async () => {
    await resetDefault({ percent: 100, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_CLOSED_ORIGIN } });
    const res = await proxied("/pay", { method: "POST", user: "r", body: "amount=5" });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ type: "urn:edge-router:origin-unreachable", variant: "new" });
  });

  it("does not retry when the rollout disables it", async () => {
    await resetDefault({ percent: 100, retryOnLegacy: false, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_CLOSED_ORIGIN } });
    expect((await proxied("/", { user: "r" })).status).toBe(502);
  });
});

describe("origin timeouts", () => {
  it("answers 504 problem+json when the origin sends no headers within timeoutMs, without retrying", async () => {
    await resetDefault({ percent: 100, timeoutMs: 100, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_SLOW_ORIGIN } });
    const started = Date.now();
    const res = await proxied("/slow", { user: "t" });
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ type: "urn:edge-router:origin-timeout", variant: "new", detail: "The new origin did not answer within 100 ms." });
    expect(Date.now() - started).toBeLessThan(290); // gave up before the origin's 300 ms
  });

  it("does not cut off a streamed body once the headers have arrived", async () => {
    await resetDefault({ percent: 0, timeoutMs: 200 });
    const res = await proxied("/__origin/stream?chunks=3&delayMs=150", { user: "t" });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/chunk 0[\s\S]*chunk 1[\s\S]*chunk 2/);
  });

  it("rejects a timeout outside 100 ms to 300 s", async () => {
    const res = await adminJson("PATCH", "/rollouts/default", { timeoutMs: 50 });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ pointer: "/timeoutMs", message: "must be at least 100 ms" }]);
  });
});

describe("admin prefix", () => {
  it("never proxies requests under /__admin", async () => {
    const res = await exports.default.fetch("http://router.test/__admin/nothing-here");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-origin")).toBeNull();
  });
});
