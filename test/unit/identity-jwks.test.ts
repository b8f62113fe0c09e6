import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { BoundedCache } from "../../edge/identity/anonymous";
import { JWKS_MAX_AGE_MS, JWKS_MIN_INTERVAL_MS, JWT_CACHE_MAX_AGE_MS, JwtVerifier } from "../../edge/identity/jwt";

const T0 = Date.UTC(2030, 0, 1);
const JWKS_URL = "https://idp.example/.well-known/jwks.json";

type Alg = "RS256" | "ES256";

async function keyPair(alg: Alg, kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  const sign = (sub: string, expS = T0 / 1000 + 3600, extra: Record<string, unknown> = {}) =>
    new SignJWT({ sub, exp: expS, ...extra }).setProtectedHeader({ alg, kid }).sign(privateKey);
  return { jwk, sign, alg, kid };
}

/** An identity provider's JWKS endpoint whose keys, failures and timing the test controls. */
class FakeIdp {
  keys: JWK[] = [];
  calls = 0;
  failing = false;
  private held: Array<() => void> = [];
  hold = false;

  fetch = async (url: string): Promise<Response> => {
    expect(url).toBe(JWKS_URL);
    this.calls++;
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.failing) return new Response("upstream down", { status: 503 });
    return Response.json({ keys: this.keys });
  };

  release(): void {
    this.hold = false;
    for (const resolve of this.held.splice(0)) resolve();
  }
}

function setup() {
  const idp = new FakeIdp();
  const errors: string[] = [];
  const verifier = new JwtVerifier({ IDENTITY_JWKS_URL: JWKS_URL }, { fetch: idp.fetch, onError: (e) => errors.push(e) });
  const background: Promise<unknown>[] = [];
  const waitUntil = (p: Promise<unknown>) => void background.push(p);
  const verify = (token: string, nowMs: number) => verifier.verify(token, "sub", nowMs, waitUntil);
  const settle = () => Promise.all(background.splice(0));
  return { idp, errors, verifier, verify, settle, waitUntil };
}

/** A verifier that has loaded `keys` at T0. */
async function loaded(...keys: JWK[]) {
  const s = setup();
  s.idp.keys = keys;
  s.verifier.warm(T0, s.waitUntil);
  await s.settle();
  expect(s.idp.calls).toBe(1);
  return s;
}

describe.each(["RS256", "ES256"] as const)("%s tokens against the identity provider's JWKS", (alg) => {
  it("treats requests before the keys arrive as unverifiable, fetches once, then verifies", async () => {
    const key = await keyPair(alg, "k1");
    const { idp, verify, settle } = setup();
    idp.keys = [key.jwk];
    idp.hold = true;
    const token = await key.sign("user-7");
    expect(await verify(token, T0)).toBeUndefined();
    expect(await verify(token, T0 + 5)).toBeUndefined();
    expect(idp.calls).toBe(1);
    idp.release();
    await settle();
    expect((await verify(token, T0 + 10))?.userId).toBe("user-7");
    expect(idp.calls).toBe(1);
  });

  it("refuses a token signed by a key the JWKS does not hold, even under a known kid", async () => {
    const key = await keyPair(alg, "k1");
    const impostor = await keyPair(alg, "k1");
    const { verify } = await loaded(key.jwk);
    expect((await verify(await key.sign("victim"), T0 + 1))?.userId).toBe("victim");
    expect(await verify(await impostor.sign("victim"), T0 + 1)).toBeUndefined();
  });
});

describe("tokens without a kid", () => {
  it("are checked against each key of their algorithm, and pass only under one of them", async () => {
    const [a, b, outsider] = await Promise.all([generateKeyPair("ES256"), generateKeyPair("ES256"), generateKeyPair("ES256")]);
    const { verify } = await loaded(await exportJWK(a.publicKey), await exportJWK(b.publicKey));
    const sign = (key: CryptoKey) => new SignJWT({ sub: "no-kid", exp: T0 / 1000 + 60 }).setProtectedHeader({ alg: "ES256" }).sign(key);
    expect((await verify(await sign(b.privateKey), T0 + 1))?.userId).toBe("no-kid");
    expect(await verify(await sign(outsider.privateKey), T0 + 1)).toBeUndefined();
  });
});

describe("JWKS refresh", () => {
  it("fetches once for a burst of 50 tokens with unknown kids, then verifies the new key", async () => {
    const [old, rotated] = await Promise.all([keyPair("RS256", "old"), keyPair("ES256", "new")]);
    const { idp, verify, settle } = await loaded(old.jwk);
    idp.keys = [old.jwk, rotated.jwk];
    const later = T0 + JWKS_MIN_INTERVAL_MS;
    const strangers = await Promise.all(Array.from({ length: 50 }, (_, i) => keyPair("ES256", `unknown-${i}`).then((k) => k.sign(`u${i}`))));
    const answers = await Promise.all(strangers.map((token) => verify(token, later)));
    expect(answers.every((a) => a === undefined)).toBe(true);
    expect(idp.calls).toBe(2);
    await settle();
    expect((await verify(await rotated.sign("moved"), later + 1))?.userId).toBe("moved");
    await Promise.all(strangers.map((token) => verify(token, later + 2)));
    await settle();
    expect(idp.calls).toBe(2); // the fetch just made rate-limits the next one
  });

  it("keeps verifying with the old keys while the endpoint fails, and retries no more than every 30 s", async () => {
    const key = await keyPair("RS256", "k1");
    const { idp, verify, settle, errors } = await loaded(key.jwk);
    idp.failing = true;
    const stale = T0 + JWKS_MAX_AGE_MS;
    const token = await key.sign("steady", stale / 1000 + 3600);
    expect((await verify(token, stale))?.userId).toBe("steady");
    await settle();
    expect(idp.calls).toBe(2);
    expect(errors[0]).toMatch(/HTTP 503.*keeping the previous keys/);
    expect((await verify(await key.sign("steady", stale / 1000 + 3601), stale + JWKS_MIN_INTERVAL_MS - 1))?.userId).toBe("steady");
    expect(idp.calls).toBe(2);
    idp.failing = false;
    expect((await verify(token, stale + JWKS_MIN_INTERVAL_MS))?.userId).toBe("steady");
    await settle();
    expect(idp.calls).toBe(3);
    expect((await verify(token, stale + JWKS_MIN_INTERVAL_MS + 60_000))?.userId).toBe("steady");
    expect(idp.calls).toBe(3); // fresh keys again: no fetch for ten minutes
  });

  it("retries a first fetch that failed after 30 s, not before", async () => {
    const key = await keyPair("ES256", "k1");
    const { idp, verify, settle, errors } = setup();
    idp.keys = [key.jwk];
    idp.failing = true;
    const token = await key.sign("late");
    expect(await verify(token, T0)).toBeUndefined();
    await settle();
    expect(errors[0]).toMatch(/unverifiable/);
    idp.failing = false;
    expect(await verify(token, T0 + JWKS_MIN_INTERVAL_MS - 1)).toBeUndefined();
    expect(idp.calls).toBe(1);
    await verify(token, T0 + JWKS_MIN_INTERVAL_MS);
    await settle();
    expect((await verify(token, T0 + JWKS_MIN_INTERVAL_MS + 1))?.userId).toBe("late");
    expect(idp.calls).toBe(2);
  });
});

describe("the verification cache", () => {
  it("answers a repeated token for up to 60 s, even after its key left the JWKS", async () => {
    const [a, b] = await Promise.all([keyPair("RS256", "a"), keyPair("RS256", "b")]);
    const { idp, verify, settle } = await loaded(a.jwk);
    const token = await a.sign("busy");
    const first = await verify(token, T0 + 1);
    expect(first?.userId).toBe("busy");
    idp.keys = [b.jwk]; // key "a" revoked; an unknown kid makes the verifier notice
    await verify(await (await keyPair("RS256", "c")).sign("x"), T0 + JWKS_MIN_INTERVAL_MS);
    await settle();
    expect(idp.calls).toBe(2);
    expect(await verify(await a.sign("busy", T0 / 1000 + 3599), T0 + 40_000)).toBeUndefined(); // uncached: key gone
    expect(await verify(token, T0 + 40_000)).toEqual(first); // cached: same answer
    expect(await verify(token, T0 + 1 + JWT_CACHE_MAX_AGE_MS)).toBeUndefined();
  });

  it("stops answering a cached token when it expires", async () => {
    const key = await keyPair("ES256", "k1");
    const { verify } = await loaded(key.jwk);
    const token = await key.sign("brief", T0 / 1000 + 10);
    expect((await verify(token, T0))?.userId).toBe("brief");
    expect((await verify(token, T0 + 9_999))?.userId).toBe("brief");
    expect(await verify(token, T0 + 10_000)).toBeUndefined();
  });

  it("forgets the least recently used entry when full", () => {
    const cache = new BoundedCache<number>(3);
    for (const [k, v] of [
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ] as const)
      cache.set(k, v);
    expect(cache.get("a")).toBe(1); // "b" is now the oldest
    cache.set("d", 4);
    expect([cache.get("a"), cache.get("b"), cache.get("c"), cache.get("d"), cache.size]).toEqual([1, undefined, 3, 4, 3]);
  });

  it("costs a map lookup instead of a signature check (benchmark, logged)", async () => {
    const key = await keyPair("RS256", "k1");
    const { verify } = await loaded(key.jwk);
    const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => key.sign(`user-${i}`)));
    let started = performance.now();
    const uncached = await Promise.all(tokens.map((t) => verify(t, T0 + 1)));
    const uncachedUs = ((performance.now() - started) * 1000) / tokens.length;
    started = performance.now();
    let cachedHits = 0;
    for (let round = 0; round < 20; round++) for (const t of tokens) if ((await verify(t, T0 + 2))?.userId) cachedHits++;
    const cachedUs = ((performance.now() - started) * 1000) / (tokens.length * 20);
    console.log(`JwtVerifier RS256: uncached ${uncachedUs.toFixed(1)} µs/verify, cached ${cachedUs.toFixed(2)} µs/verify`);
    expect(uncached.map((r) => r?.userId)).toEqual(tokens.map((_, i) => `user-${i}`));
    expect(cachedHits).toBe(tokens.length * 20);
  });
});
