import { createHmac } from "node:crypto";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import { JwtSource } from "../../contracts/identity";
import { JwtVerifier, MAX_TOKEN_LENGTH, readJwt, type IdentityJwtVars } from "../../edge/identity/jwt";

const SECRET = "identity-test-secret-of-more-than-32-bytes";
const NOW_MS = Date.UTC(2030, 0, 1);
const NOW_S = NOW_MS / 1000;
const encoder = new TextEncoder();
const noBackground = () => {
  throw new Error("HS256 verification must not start background work");
};

function sign(claims: JWTPayload, secret = SECRET, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ exp: NOW_S + 3600, ...claims }).setProtectedHeader({ alg: "HS256", ...header }).sign(encoder.encode(secret));
}

/** A JWT MACed with HS256 whatever its header says: what an attacker can build without jose's checks. */
function hmacToken(header: object, claims: object, secret = SECRET): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${part(header)}.${part({ exp: NOW_S + 3600, ...claims })}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

function verifier(vars: IdentityJwtVars = { IDENTITY_JWT_SECRET: SECRET }) {
  const fetch = async () => new Response("no JWKS in this test", { status: 404 });
  return new JwtVerifier(vars, { fetch });
}

const headers = (entries: Record<string, string>) => new Headers(entries);

describe("HS256 identity tokens", () => {
  it("puts the user named by the token's sub claim on their own id", async () => {
    const result = await verifier().verify(await sign({ sub: "user-42", plan: "pro" }), "sub", NOW_MS, noBackground);
    expect(result?.userId).toBe("user-42");
    expect(result?.claims.plan).toBe("pro");
  });

  it("reads another claim when the source names one, and writes a numeric id in decimal", async () => {
    const token = await sign({ sub: "ignored", uid: 123456789 });
    expect((await verifier().verify(token, "uid", NOW_MS, noBackground))?.userId).toBe("123456789");
  });

  it("reports no key configured as disabled and verifies nothing", async () => {
    const v = verifier({});
    expect(v.enabled).toBe(false);
    expect(await v.verify(await sign({ sub: "u" }), "sub", NOW_MS, noBackground)).toBeUndefined();
  });

  it("names a short secret and an http JWKS URL as problems for the operator", () => {
    const v = verifier({ IDENTITY_JWT_SECRET: "short", IDENTITY_JWKS_URL: "http://idp.example/jwks" });
    expect(v.problems.join("\n")).toMatch(/shorter than 32 bytes[\s\S]*must use https/);
  });
});

describe("tokens an end user could forge or replay are refused", () => {
  const issuerVars = { IDENTITY_JWT_SECRET: SECRET, IDENTITY_JWT_ISSUER: "https://idp.example", IDENTITY_JWT_AUDIENCE: "edge-router" };
  const good = { sub: "victim", iss: "https://idp.example", aud: "edge-router" };
  const cases: Array<[string, () => Promise<string>]> = [
    ["expired", () => sign({ ...good, exp: NOW_S - 1 })],
    ["expiring this very second", () => sign({ ...good, exp: NOW_S })],
    ["not valid yet (nbf in the future)", () => sign({ ...good, nbf: NOW_S + 60 })],
    ["without exp", () => new SignJWT(good).setProtectedHeader({ alg: "HS256" }).sign(encoder.encode(SECRET))],
    ["signed with another secret", () => sign(good, "another-secret-that-is-also-long-enough")],
    ["unsigned (alg none)", async () => new UnsecuredJWT({ ...good, exp: NOW_S + 60 }).encode()],
    ["from another issuer", () => sign({ ...good, iss: "https://evil.example" })],
    ["for another audience", () => sign({ ...good, aud: "other-app" })],
    ["without the claim", () => sign({ iss: good.iss, aud: good.aud })],
    ["with an object claim", () => sign({ ...good, sub: { id: "victim" } as unknown as string })],
    ["with an array claim", () => sign({ ...good, sub: ["victim"] as unknown as string })],
    ["with an empty claim", () => sign({ ...good, sub: "" })],
    ["with a claim over 256 characters", () => sign({ ...good, sub: "v".repeat(257) })],
    ["with a header claiming RS256 over an HMAC", async () => hmacToken({ alg: "RS256" }, good)],
    ["with a header naming no algorithm", async () => hmacToken({ typ: "JWT" }, good)],
    ["that is not a JWT at all", async () => "not.a.jwt"],
    ["over the length limit", () => sign({ ...good, pad: "x".repeat(MAX_TOKEN_LENGTH) })],
  ];

  it("accepts the well-formed token these cases are variations of", async () => {
    expect((await verifier(issuerVars).verify(hmacToken({ alg: "HS256" }, good), "sub", NOW_MS, noBackground))?.userId).toBe("victim");
    expect((await verifier(issuerVars).verify(await sign(good), "sub", NOW_MS, noBackground))?.userId).toBe("victim");
    expect((await verifier(issuerVars).verify(await sign({ ...good, sub: "v".repeat(256) }), "sub", NOW_MS, noBackground))?.userId).toHaveLength(256);
  });

  it.each(cases)("refuses a token %s, without throwing", async (_name, make) => {
    await expect(verifier(issuerVars).verify(await make(), "sub", NOW_MS, noBackground)).resolves.toBeUndefined();
  });

  it("refuses an HS256 token MACed with the identity provider's public key (algorithm confusion)", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }] };
    const fetch = async () => Response.json(jwks);
    const genuine = await new SignJWT({ sub: "victim", exp: NOW_S + 3600 }).setProtectedHeader({ alg: "RS256", kid: "k1" }).sign(privateKey);
    const forgeries = [await sign({ sub: "victim" }, await exportSPKI(publicKey), { kid: "k1" }), await sign({ sub: "victim" }, JSON.stringify(jwks.keys[0]), { kid: "k1" })];
    for (const vars of [{ IDENTITY_JWKS_URL: "https://idp.example/jwks" }, { IDENTITY_JWKS_URL: "https://idp.example/jwks", IDENTITY_JWT_SECRET: SECRET }]) {
      const v = new JwtVerifier(vars, { fetch });
      const background: Promise<unknown>[] = [];
      await v.verify(genuine, "sub", NOW_MS, (p) => background.push(p));
      await Promise.all(background);
      expect((await v.verify(genuine, "sub", NOW_MS, noBackground))?.userId).toBe("victim");
      for (const forged of forgeries) expect(await v.verify(forged, "sub", NOW_MS, noBackground)).toBeUndefined();
    }
  });
});

describe("where the token is read from", () => {
  const bearer = JwtSource.parse({ jwt: { header: "Authorization" } }).jwt;

  it("reads Authorization: Bearer <jwt>, with the scheme in any case", () => {
    expect(readJwt(bearer, headers({ authorization: "Bearer aaa.bbb.ccc" }))).toBe("aaa.bbb.ccc");
    expect(readJwt(bearer, headers({ authorization: "bearer   aaa.bbb.ccc " }))).toBe("aaa.bbb.ccc");
  });

  it("takes no token from another Authorization scheme", () => {
    expect(readJwt(bearer, headers({ authorization: "Basic dXNlcjpwYXNz" }))).toBeUndefined();
    expect(readJwt(bearer, headers({}))).toBeUndefined();
  });

  it("takes another header's whole value, and a cookie's value", () => {
    expect(readJwt({ header: "x-identity", claim: "sub" }, headers({ "x-identity": "aaa.bbb.ccc" }))).toBe("aaa.bbb.ccc");
    expect(readJwt({ cookie: "session", claim: "sub" }, headers({ cookie: "a=1; session=aaa.bbb.ccc" }))).toBe("aaa.bbb.ccc");
    expect(readJwt({ cookie: "session", claim: "sub" }, headers({ cookie: "session=" }))).toBeUndefined();
  });
});

describe("the jwt stickiness source schema", () => {
  it("defaults the claim to sub and lowercases the header name", () => {
    expect(JwtSource.parse({ jwt: { header: "Authorization" } })).toEqual({ jwt: { header: "authorization", claim: "sub" } });
    expect(JwtSource.parse({ jwt: { cookie: "id_token", claim: "email" } })).toEqual({ jwt: { cookie: "id_token", claim: "email" } });
  });

  it.each([
    ["both a header and a cookie", { jwt: { header: "authorization", cookie: "c" } }],
    ["neither", { jwt: { claim: "sub" } }],
    ["an empty claim name", { jwt: { header: "authorization", claim: "" } }],
    ["a claim name over 100 characters", { jwt: { header: "authorization", claim: "c".repeat(101) } }],
    ["an unknown field", { jwt: { header: "authorization" }, alg: "none" }],
    ["a bad cookie name", { jwt: { cookie: "a b" } }],
  ])("refuses a source with %s", (_name, input) => {
    expect(JwtSource.safeParse(input).success).toBe(false);
  });
});
