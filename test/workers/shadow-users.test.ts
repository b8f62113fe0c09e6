/**
 * Shadow traffic as users meet it: while their requests are mirrored to a new backend that
 * disagrees, hangs or fails, they see exactly what legacy sent, no later than without shadowing;
 * what they send with a body, or with an unsafe method, never reaches new.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { clearReceived, eventually, received, shadowRollout, through } from "./shadow-helpers";

const everyone = { percent: 100, compare: { ignore: ["/meta/requestId"] } };

/** Status, headers (without the date, which changes each second) and body bytes of a response. */
async function seen(res: Response) {
  const headers = [...res.headers].filter(([name]) => name !== "date");
  return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
}

beforeAll(async () => {
  await shadowRollout("plain", env.TEST_SHADOW_DRIFT_ORIGIN, undefined);
  await shadowRollout("mirrored", env.TEST_SHADOW_DRIFT_ORIGIN, everyone);
});

describe("users only ever see legacy's answers while shadowing", () => {
  it.each([
    ["a small text body", "/__origin/bytes?n=5000"],
    ["a 3 MB body, past the comparison cap", "/__origin/bytes?n=3000000"],
    ["a 404", "/__origin/status/404"],
    ["a redirect", "/__origin/redirect"],
    ["two Set-Cookie headers", "/__origin/cookies"],
    ["a body streamed over time", "/__origin/stream?chunks=4&delayMs=30"],
  ])("%s: same status, headers and bytes as without shadowing, and new did get the mirror", async (what, path) => {
    await clearReceived(env.TEST_SHADOW_DRIFT_ORIGIN);
    // A user per case: one identity gets at most two mirrors a second (MIRRORS_PER_IDENTITY_PER_SECOND).
    const user = `user-${what}`;
    const without = await seen(await through("plain", path, user));
    const withShadow = await seen(await through("mirrored", path, user));
    expect(withShadow.status).toBe(without.status);
    expect(withShadow.headers).toEqual(without.headers);
    if (path.includes("bytes")) expect(withShadow.headers).toContainEqual(["content-length", String(without.body.length)]);
    if (!path.includes("stream")) expect(Buffer.from(withShadow.body).equals(Buffer.from(without.body))).toBe(true);
    else expect(new TextDecoder().decode(withShadow.body)).toMatch(/^legacy chunk 0 .*\nlegacy chunk 3 /s);
    // Sent to new once (the shadowed request only: "plain" mirrors nothing).
    const mirrors = await eventually("the mirror", async () => {
      const got = (await received(env.TEST_SHADOW_DRIFT_ORIGIN)).filter((r) => r.url === path);
      return got.length ? got : undefined;
    });
    expect(mirrors).toHaveLength(1);
  });

  it.each([
    ["hangs", () => env.TEST_SHADOW_HANG_ORIGIN],
    ["answers 500", () => env.TEST_SHADOW_FAIL_ORIGIN],
    ["is unreachable", () => env.TEST_CLOSED_ORIGIN],
  ])("answers as fast as legacy does while new %s", async (_, origin) => {
    await shadowRollout("broken-new", origin(), { ...everyone, maxConcurrent: 50 }, { timeoutMs: 1500 });
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const res = await through("broken-new", "/__origin/bytes?n=2000", `broken-${i}`);
      const body = await res.text();
      expect(res.status).toBe(200);
      expect(res.headers.get("x-origin")).toBe("legacy");
      expect(body).toMatch(/^legacy x+$/);
      // The mirror waits up to 1.5 s for new; the user does not.
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });
});

describe("what is never mirrored", () => {
  it("never sends new a request with an unsafe method or a body, whatever its method; GET and HEAD do go", async () => {
    await shadowRollout("unsafe", env.TEST_SHADOW_NEW_ORIGIN, everyone);
    await clearReceived(env.TEST_SHADOW_NEW_ORIGIN);
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      for (const body of [null, `{"order":"${method}"}`]) {
        const res = await through("unsafe", `/__origin/echo-${method}`, "buyer", { method, body, headers: { accept: "application/json" } });
        // Legacy did get it, with its body.
        expect(await res.json()).toMatchObject({ origin: "legacy", method, body: body ?? "" });
      }
    }
    await (await through("unsafe", "/__origin/catalog", "buyer")).arrayBuffer();
    await (await through("unsafe", "/__origin/catalog", "buyer", { method: "HEAD" })).arrayBuffer();
    const mirrors = await eventually("the GET and HEAD mirrors", async () => {
      const got = await received(env.TEST_SHADOW_NEW_ORIGIN);
      return got.length >= 2 ? got : undefined;
    });
    await new Promise((r) => setTimeout(r, 300)); // time for any stray mirror to arrive
    expect((await received(env.TEST_SHADOW_NEW_ORIGIN)).map((r) => `${r.method} ${r.url}`).sort()).toEqual(["GET /__origin/catalog", "HEAD /__origin/catalog"]);
    expect(mirrors.every((r) => r.headers["x-rollout-shadow"] === "1")).toBe(true);
  });

  it("sends new no cookie and no Authorization unless forwardCredentials is set, and marks the mirror", async () => {
    const credentials = { cookie: "session=s3cr3t; theme=dark", authorization: "Bearer user-token-42", "x-rollout-shadow": "0" };
    await shadowRollout("creds", env.TEST_SHADOW_NEW_ORIGIN, everyone);
    await clearReceived(env.TEST_SHADOW_NEW_ORIGIN);
    const echo = await (await through("creds", "/__origin/anything", "ann", { headers: { ...credentials, accept: "application/json" } })).json<{
      headers: Record<string, string>;
    }>();
    // Legacy got the user's credentials, and not the client's claim to be a mirror.
    expect(echo.headers).toMatchObject({ cookie: credentials.cookie, authorization: credentials.authorization });
    expect(echo.headers["x-rollout-shadow"]).toBeUndefined();
    const [stripped] = await eventually("the mirror", async () => {
      const got = await received(env.TEST_SHADOW_NEW_ORIGIN);
      return got.length ? got : undefined;
    });
    expect(stripped!.headers.cookie).toBeUndefined();
    expect(stripped!.headers.authorization).toBeUndefined();
    expect(stripped!.headers).toMatchObject({ "x-rollout-shadow": "1", "x-rollout-variant": "new", "x-rollout-id": "creds", "x-user-id": "ann" });

    await shadowRollout("creds", env.TEST_SHADOW_NEW_ORIGIN, { ...everyone, forwardCredentials: true });
    await clearReceived(env.TEST_SHADOW_NEW_ORIGIN);
    await (await through("creds", "/__origin/anything", "ann", { headers: credentials })).arrayBuffer();
    const [forwarded] = await eventually("the mirror", async () => {
      const got = await received(env.TEST_SHADOW_NEW_ORIGIN);
      return got.length ? got : undefined;
    });
    expect(forwarded!.headers).toMatchObject({ cookie: credentials.cookie, authorization: credentials.authorization, "x-rollout-shadow": "1" });
  });

  it("mirrors only the shadow sample of legacy users: not users on new, not when killed", async () => {
    await shadowRollout("sample", env.TEST_SHADOW_NEW_ORIGIN, { percent: 30 }, { percent: 50 });
    await clearReceived(env.TEST_SHADOW_NEW_ORIGIN);
    const users = Array.from({ length: 200 }, (_, i) => `sample-${i}`);
    const variants = new Map<string, string>();
    for (const user of users) {
      const res = await through("sample", `/__origin/bytes?n=10&u=${user}`, user);
      variants.set(user, res.headers.get("x-origin")!);
      await res.arrayBuffer();
    }
    await new Promise((r) => setTimeout(r, 500));
    const mirroredUsers = new Set((await received(env.TEST_SHADOW_NEW_ORIGIN)).filter((r) => r.headers["x-rollout-shadow"] === "1").map((r) => r.headers["x-user-id"]));
    const legacyUsers = users.filter((u) => variants.get(u) === "legacy");
    // Every mirrored user was served by legacy, and about 30% of legacy users were mirrored.
    expect([...mirroredUsers].every((u) => variants.get(u!) === "legacy")).toBe(true);
    expect(mirroredUsers.size).toBeGreaterThan(legacyUsers.length * 0.15);
    expect(mirroredUsers.size).toBeLessThan(legacyUsers.length * 0.45);

    const kill = await (await import("./helpers")).admin("POST", "/rollouts/sample/kill", { reason: "stop" });
    expect(kill.status).toBe(200);
    await clearReceived(env.TEST_SHADOW_NEW_ORIGIN);
    for (const user of [...mirroredUsers].slice(0, 10)) await (await through("sample", "/__origin/bytes?n=10", user!)).arrayBuffer();
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(env.TEST_SHADOW_NEW_ORIGIN)).toEqual([]);
  });
});
