/**
 * The router is the first hop: what a client says about itself in forwarding headers, the
 * router's own credentials and cookies, never reach an origin; and a request that may have acted
 * on the new backend is never sent again to legacy.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, echo, proxied, resetDefault } from "./helpers";

describe("forwarding headers a client could use to lie", () => {
  beforeEach(async () => {
    await resetDefault({ percent: 0 });
  });

  const SPOOFED: Record<string, string> = {
    "x-forwarded-host": "evil.example",
    "x-forwarded-proto": "https",
    "x-forwarded-for": "10.0.0.1, 10.0.0.2",
    "x-forwarded-port": "8443",
    "x-forwarded-prefix": "/admin",
    "x-forwarded-server": "trusted.internal",
    forwarded: "for=10.0.0.1;host=evil.example;proto=https",
    "x-real-ip": "10.0.0.1",
    "x-client-ip": "10.0.0.1",
    "true-client-ip": "10.0.0.1",
    "x-original-url": "/admin/delete-everything",
    "x-rewrite-url": "/admin/delete-everything",
  };

  it("overwrites X-Forwarded-Host/-Proto/-For with what the router saw and drops the rest", async () => {
    const got = await echo("/", { user: "spoofer", headers: { ...SPOOFED, "cf-connecting-ip": "203.0.113.7" } });
    expect(got.headers["x-forwarded-host"]).toBe("router.test");
    expect(got.headers["x-forwarded-proto"]).toBe("http");
    expect(got.headers["x-forwarded-for"]).toBe("203.0.113.7");
    for (const name of Object.keys(SPOOFED).filter((n) => !["x-forwarded-host", "x-forwarded-proto", "x-forwarded-for"].includes(n))) {
      expect(got.headers[name], name).toBeUndefined();
    }
  });

  it("never passes any spelling or value of those headers through (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(SPOOFED)), fc.stringMatching(/^[\x21-\x7e]{1,40}$/), fc.boolean(), async (name, value, upper) => {
        const header = upper ? name.toUpperCase() : name;
        const got = await echo("/", { user: "p", headers: { [header]: value, "cf-connecting-ip": "198.51.100.1" } });
        const seen = got.headers[name];
        expect(seen === undefined || seen !== value || ["router.test", "http", "198.51.100.1"].includes(value)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("keeps the admin token and anything shaped like a named token from the origin in Authorization, even without a debug request", async () => {
    const got = await echo("/", { user: "op", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(got.headers.authorization).toBeUndefined();
    const own = await echo("/", { user: "op", headers: { authorization: `Bearer ${"x".repeat(ADMIN_TOKEN.length)}` } });
    expect(own.headers.authorization).toBe(`Bearer ${"x".repeat(ADMIN_TOKEN.length)}`);
    const named = await echo("/", { user: "op", headers: { authorization: `Bearer er_0123456789abcdef_${"5".repeat(64)}` } });
    expect(named.headers.authorization).toBeUndefined();
  });

  it("strips the override cookie and keeps the others", async () => {
    const got = await echo("/", { user: "c", headers: { cookie: "session=abc; edge_rollout_override=v2.default.new.1.2.mac; theme=dark" } });
    expect(got.headers.cookie).toBe("session=abc; theme=dark");
    const only = await echo("/", { user: "c", headers: { cookie: "edge_rollout_override=v2.x" } });
    expect(only.headers.cookie).toBeUndefined();
  });
});

describe("retrying on legacy", () => {
  const count = async () => (await (await fetch(`${env.TEST_DROP_ORIGIN}/__count`)).json()) as Record<string, number>;

  it("never repeats a POST or DELETE on legacy after new dropped the connection, body or not", async () => {
    await resetDefault({ percent: 100, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_DROP_ORIGIN } });
    const before = await count();
    for (const method of ["POST", "DELETE", "PUT", "PATCH"]) {
      const res = await proxied("/orders/7", { method, user: "r" });
      expect(res.status, method).toBe(502);
      expect(await res.json()).toMatchObject({ type: "urn:edge-router:origin-unreachable", variant: "new" });
    }
    const after = await count();
    for (const method of ["POST", "DELETE", "PUT", "PATCH"]) expect((after[method] ?? 0) - (before[method] ?? 0), method).toBe(1);
  });

  it("repeats a GET on legacy after new dropped the connection", async () => {
    await resetDefault({ percent: 100, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_DROP_ORIGIN } });
    const before = (await count()).GET ?? 0;
    const got = await echo("/orders/7", { user: "r" });
    expect(got.origin).toBe("legacy");
    expect(((await count()).GET ?? 0) - before).toBe(1);
  });
});
