import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, type Identity } from "../../edge/decide";
import { identify } from "../../edge/identify";
import { AnonymousIds } from "../../edge/identity/anonymous";
import { bucketOf } from "../../contracts/hash";
import { RolloutConfigSchema, type RolloutConfigInput, type StoredRollout } from "../../contracts/rollout";
import { compileSnapshot, matchRollout, type RouterTable } from "../../edge/match";

function stored(input: Partial<RolloutConfigInput> & { id: string }, version = 1): StoredRollout {
  const config = RolloutConfigSchema.parse({ origins: { legacy: "https://legacy.example", new: "https://new.example" }, ...input });
  return { config, version, updatedAt: "2026-01-01T00:00:00.000Z", updatedBy: "test", killReason: null };
}

function table(rollouts: StoredRollout[], globalKilled = false): RouterTable {
  return compileSnapshot({ version: 1, globalKill: { killed: globalKilled, reason: null, at: null, by: null }, rollouts });
}

/** A verified user (as from a JWT), and the same id merely claimed (as from a header). */
const user = (userId: string): Identity => ({ userId, source: "jwt:header:authorization", verified: true });
const claimed = (userId: string): Identity => ({ userId, source: "header:x-user-id", verified: false });

describe("decision precedence", () => {
  const rollout = (overrides: Partial<RolloutConfigInput> = {}) => {
    const t = table([stored({ id: "r", percent: 100, allowlist: { new: ["vip"], legacy: ["opt-out"] }, ...overrides })]);
    return { t, r: t.rollouts.get("r")! };
  };

  it("1. sends everyone to legacy when the rollout is killed, even allowlisted users and overrides", () => {
    const { t, r } = rollout({ killed: true });
    for (const d of [decide(t, r, user("anyone")), decide(t, r, user("vip")), decide(t, r, user("anyone"), "new")]) {
      expect(d).toMatchObject({ variant: "legacy", reason: "killed", detail: "rollout" });
    }
  });

  it("1. sends everyone to legacy under the global kill switch", () => {
    const t = table([stored({ id: "r", percent: 100, allowlist: { new: ["vip"] } })], true);
    expect(decide(t, t.rollouts.get("r"), user("vip"), "new")).toMatchObject({ variant: "legacy", reason: "killed", detail: "global" });
  });

  it("2. lets a verified override pick the variant above allowlists and percentage", () => {
    const { t, r } = rollout({ percent: 0 });
    expect(decide(t, r, user("opt-out"), "new")).toMatchObject({ variant: "new", reason: "override" });
    const full = rollout({ percent: 100 });
    expect(decide(full.t, full.r, user("vip"), "legacy")).toMatchObject({ variant: "legacy", reason: "override" });
  });

  it("3. pins allowlisted users whatever the percentage; legacy wins on both lists", () => {
    const zero = rollout({ percent: 0 });
    expect(decide(zero.t, zero.r, user("vip"))).toMatchObject({ variant: "new", reason: "allowlist" });
    const full = rollout({ percent: 100 });
    expect(decide(full.t, full.r, user("opt-out"))).toMatchObject({ variant: "legacy", reason: "allowlist" });
    const both = rollout({ allowlist: { new: ["x"], legacy: ["x"] } });
    expect(decide(both.t, both.r, user("x"))).toMatchObject({ variant: "legacy", reason: "allowlist" });
  });

  it("4. buckets everyone else: bucket < percent × 100 goes to new", () => {
    const t = table([stored({ id: "r", percent: 30 })]);
    const r = t.rollouts.get("r")!;
    for (let i = 0; i < 500; i++) {
      const d = decide(t, r, user(`u${i}`));
      expect(d.reason).toBe("bucket");
      expect(d.bucket).toBe(bucketOf("r", `u${i}`));
      expect(d.variant).toBe(d.bucket! < 3000 ? "new" : "legacy");
    }
  });

  it("decides at the exact threshold: bucket = threshold - 1 is new, bucket = threshold is legacy", () => {
    // Find a user, then set the percentage so that the threshold sits right at their bucket.
    const b = bucketOf("edge", "user-7");
    const at = table([stored({ id: "r", salt: "edge", percent: b / 100 })]);
    expect(decide(at, at.rollouts.get("r"), user("user-7")).variant).toBe("legacy");
    const above = table([stored({ id: "r", salt: "edge", percent: (b + 1) / 100 })]);
    expect(decide(above, above.rollouts.get("r"), user("user-7")).variant).toBe("new");
  });

  it("uses the salt, defaulting to the id", () => {
    const t = table([stored({ id: "r" }), stored({ id: "s", salt: "custom", match: { pathPrefixes: ["/s"] } })]);
    expect(t.rollouts.get("r")!.salt).toBe("r");
    expect(t.rollouts.get("s")!.salt).toBe("custom");
  });

  it("routes to legacy with reason no-rollout when nothing matches", () => {
    const t = table([]);
    expect(decide(t, undefined, user("u"))).toMatchObject({ variant: "legacy", reason: "no-rollout", rolloutId: null });
  });
});

describe("monotonic ramp", () => {
  it("keeps every user of p% in new when raised to q% > p%", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (userId, salt, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const at = (bp: number) => {
          const t = table([stored({ id: "r", salt: salt || "s", percent: bp / 100 })]);
          return decide(t, t.rollouts.get("r"), user(userId)).variant;
        };
        return at(low) === "legacy" || at(high) === "new";
      }),
      { numRuns: 3000 },
    );
  });

  it("moves exactly the users between the two thresholds along the 10 → 25 → 50 → 75 → 100 plan", () => {
    const users = Array.from({ length: 5000 }, (_, i) => `user-${i}`);
    let previous = new Set<string>();
    for (const percent of [10, 25, 50, 75, 100]) {
      const t = table([stored({ id: "plan", percent })]);
      const inNew = new Set(users.filter((u) => decide(t, t.rollouts.get("plan"), user(u)).variant === "new"));
      for (const u of previous) expect(inNew.has(u)).toBe(true);
      previous = inNew;
    }
    expect(previous.size).toBe(users.length);
  });
});

describe("allowlists and claimed identities", () => {
  it("never lets a claimed id (header, cookie, anonymous) match an allowlist, in either direction", () => {
    const t = table([
      stored({ id: "r", percent: 0, allowlist: { new: ["vip"], legacy: [] } }),
      stored({ id: "s", percent: 100, match: { pathPrefixes: ["/s"] }, allowlist: { new: [], legacy: ["opt-out"] } }),
    ]);
    expect(decide(t, t.rollouts.get("r"), claimed("vip"))).toMatchObject({ variant: "legacy", reason: "bucket" });
    expect(decide(t, t.rollouts.get("r"), user("vip"))).toMatchObject({ variant: "new", reason: "allowlist" });
    expect(decide(t, t.rollouts.get("s"), claimed("opt-out"))).toMatchObject({ variant: "new", reason: "bucket" });
    expect(decide(t, t.rollouts.get("s"), user("opt-out"))).toMatchObject({ variant: "legacy", reason: "allowlist" });
  });

  it("buckets a claimed id exactly as the same id verified, when no list names it (property)", () => {
    const t = table([stored({ id: "r", percent: 37 })]);
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (id) => {
        expect(decide(t, t.rollouts.get("r"), claimed(id)).variant).toBe(decide(t, t.rollouts.get("r"), user(id)).variant);
      }),
    );
  });
});

describe("identification", () => {
  const t = table([stored({ id: "r", stickiness: [{ header: "x-account" }, { cookie: "uid" }] })]);
  const r = t.rollouts.get("r")!;
  const h = (init: Record<string, string>) => new Headers(init);
  const anonymous = AnonymousIds.fromSecret("identification-test-secret-0123456789");
  let n = 0;
  const deps = { jwt: undefined, anonymous, clock: () => 0, randomId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}` };

  it("takes the first stickiness source present, in order, as a claimed id", async () => {
    expect((await identify(r, h({ "x-account": "a1", cookie: "uid=c1" }), deps)).identity).toEqual({ userId: "a1", source: "header:x-account", verified: false });
    expect((await identify(r, h({ cookie: "other=1; uid=c1" }), deps)).identity).toEqual({ userId: "c1", source: "cookie:uid", verified: false });
  });

  it("falls back to the router's signed anonymous id, and issues a signed one without it", async () => {
    const first = await identify(r, h({}), deps);
    expect(first.identity).toMatchObject({ source: "new-anonymous", verified: false });
    expect(first.newAnonymousCookie).toMatch(new RegExp(`^${first.identity.userId}\\.[A-Za-z0-9_-]+$`));
    const again = await identify(r, h({ cookie: `edge_rollout_uid=${first.newAnonymousCookie}` }), deps);
    expect(again).toEqual({ identity: { userId: first.identity.userId, source: "anonymous", verified: false } });
  });

  it("replaces an anonymous cookie the router did not sign: a client cannot choose its id", async () => {
    const chosen = "4f1c2b3a-1234-4abc-8def-0123456789ab";
    for (const value of [chosen, `${chosen}.AAAA`, "admin"]) {
      const got = await identify(r, h({ cookie: `edge_rollout_uid=${value}` }), deps);
      expect(got.identity.source).toBe("new-anonymous");
      expect(got.identity.userId).not.toBe(chosen);
    }
  });

  it("ignores an empty or blank header", async () => {
    expect((await identify(r, h({ "x-account": "  ", cookie: "uid=c1" }), deps)).identity).toEqual({ userId: "c1", source: "cookie:uid", verified: false });
  });
});

describe("matching", () => {
  const t = table([
    stored({ id: "everything" }),
    stored({ id: "api", match: { pathPrefixes: ["/api"] } }),
    stored({ id: "api-v2", match: { pathPrefixes: ["/api/v2/"] } }),
    stored({ id: "shop-api", match: { hosts: ["shop.example.com"], pathPrefixes: ["/api"] } }),
    stored({ id: "wild", match: { hosts: ["*.example.org"], pathPrefixes: ["/"] } }),
  ]);
  const m = (host: string, path: string) => matchRollout(t, host, path)?.rollout.id;

  it("takes the longest matching path prefix", () => {
    expect(m("a.test", "/")).toBe("everything");
    expect(m("a.test", "/api/users")).toBe("api");
    expect(m("a.test", "/api/v2/users")).toBe("api-v2");
    expect(m("a.test", "/api/v2")).toBe("api-v2");
  });

  it("matches prefixes on whole path segments", () => {
    expect(m("a.test", "/apiary")).toBe("everything");
    expect(m("a.test", "/api")).toBe("api");
  });

  it("prefers a rollout for this host over one for any host at the same prefix", () => {
    expect(m("shop.example.com", "/api/cart")).toBe("shop-api");
    expect(m("other.example.com", "/api/cart")).toBe("api");
  });

  it("matches wildcard hosts on subdomains only", () => {
    expect(m("eu.example.org", "/x")).toBe("wild");
    expect(m("example.org", "/x")).toBe("everything");
  });

  it("reports the prefix it matched through", () => {
    expect(matchRollout(t, "a.test", "/api/v2/x")?.prefix).toBe("/api/v2");
  });
});
