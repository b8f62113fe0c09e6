import { createHmac, hkdfSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ANONYMOUS_ID_KEY_INFO, AnonymousIds } from "../../edge/identity/anonymous";

const SECRET = "cookie-secret-for-tests";
const UUID = "3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b";

/** The cookie value as the format is documented, computed with Node's own HKDF and HMAC. */
function expectedCookie(secret: string, uuid: string): string {
  const key = Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(32), ANONYMOUS_ID_KEY_INFO, 32));
  return `${uuid}.${createHmac("sha256", key).update(uuid).digest("base64url")}`;
}

describe("signed anonymous ids", () => {
  it("reads back the id it issued, in another isolate with the same secret", async () => {
    const issued = await AnonymousIds.fromSecret(SECRET).issue(UUID);
    expect(issued.id).toBe(UUID);
    expect(issued.cookieValue).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    expect(await AnonymousIds.fromSecret(SECRET).read(issued.cookieValue)).toBe(UUID);
  });

  it("signs <uuid>.<base64url HMAC-SHA256> with an HKDF-derived key, as documented", async () => {
    expect((await AnonymousIds.fromSecret(SECRET).issue(UUID)).cookieValue).toBe(expectedCookie(SECRET, UUID));
  });

  it("refuses a UUID the client chose itself", async () => {
    expect(await AnonymousIds.fromSecret(SECRET).read(UUID)).toBeUndefined();
  });

  it("refuses a cookie whose MAC has one byte flipped", async () => {
    const { cookieValue } = await AnonymousIds.fromSecret(SECRET).issue(UUID);
    const [id, mac] = cookieValue.split(".") as [string, string];
    const bytes = Buffer.from(mac, "base64url");
    bytes[7]! ^= 0x01;
    expect(await AnonymousIds.fromSecret(SECRET).read(`${id}.${bytes.toString("base64url")}`)).toBeUndefined();
  });

  it("refuses a cookie signed under another secret, or MACed with the raw secret instead of the derived key", async () => {
    const foreign = await AnonymousIds.fromSecret("some-other-deployment").issue(UUID);
    const rawMac = `${UUID}.${createHmac("sha256", SECRET).update(UUID).digest("base64url")}`;
    const reader = AnonymousIds.fromSecret(SECRET);
    expect(await reader.read(foreign.cookieValue)).toBeUndefined();
    expect(await reader.read(rawMac)).toBeUndefined();
  });

  it("refuses the id of one cookie under the MAC of another", async () => {
    const ids = AnonymousIds.fromSecret(SECRET);
    const a = await ids.issue(UUID);
    const b = await ids.issue("00000000-0000-4000-8000-000000000000");
    expect(await ids.read(`${a.id}.${b.cookieValue.slice(37)}`)).toBeUndefined();
  });

  it.each(["", "garbage", `${UUID}.`, `${UUID}.${"A".repeat(43)}`, `${UUID.toUpperCase()}.${"A".repeat(43)}`, "💥".repeat(40), `${UUID}.${"A".repeat(43)}.x`])(
    "refuses the malformed cookie %j without throwing",
    async (value) => {
      await expect(AnonymousIds.fromSecret(SECRET).read(value)).resolves.toBeUndefined();
    },
  );

  it("refuses to issue an id that is not a UUID", async () => {
    await expect(AnonymousIds.fromSecret(SECRET).issue("user-1")).rejects.toThrow(/UUID/);
  });

  it("answers a repeated cookie from its cache the same way", async () => {
    const reader = AnonymousIds.fromSecret(SECRET);
    const cookie = expectedCookie(SECRET, UUID);
    expect([await reader.read(cookie), await reader.read(cookie)]).toEqual([UUID, UUID]);
  });

  it("prefers IDENTITY_COOKIE_SECRET, so rotating ADMIN_TOKEN keeps anonymous users where they are", async () => {
    const before = AnonymousIds.fromVars({ IDENTITY_COOKIE_SECRET: SECRET, ADMIN_TOKEN: "admin-1" });
    const after = AnonymousIds.fromVars({ IDENTITY_COOKIE_SECRET: SECRET, ADMIN_TOKEN: "admin-2" });
    expect(await after.read((await before.issue(UUID)).cookieValue)).toBe(UUID);
  });

  it("falls back to ADMIN_TOKEN, whose rotation then reissues every anonymous id", async () => {
    const { cookieValue } = await AnonymousIds.fromVars({ ADMIN_TOKEN: "admin-1" }).issue(UUID);
    expect(AnonymousIds.fromVars({ ADMIN_TOKEN: "admin-1" }).signed).toBe(true);
    expect(await AnonymousIds.fromVars({ ADMIN_TOKEN: "admin-1" }).read(cookieValue)).toBe(UUID);
    expect(await AnonymousIds.fromVars({ ADMIN_TOKEN: "admin-2" }).read(cookieValue)).toBeUndefined();
  });
});

describe("properties of signed ids", () => {
  const issuer = AnonymousIds.fromSecret(SECRET);
  const reader = AnonymousIds.fromSecret(SECRET);
  const alphabet = [..."0123456789abcdefABCDEF-_.xyzXYZ=+/ "];

  it("reads back every issued uuid", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uuid(), async (uuid) => {
        const { cookieValue } = await issuer.issue(uuid);
        expect(await reader.read(cookieValue)).toBe(uuid);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses every one-character change of an issued cookie", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uuid(), fc.nat(), fc.constantFrom(...alphabet), async (uuid, at, replacement) => {
        const { cookieValue } = await issuer.issue(uuid);
        const index = at % cookieValue.length;
        fc.pre(cookieValue[index] !== replacement);
        const changed = cookieValue.slice(0, index) + replacement + cookieValue.slice(index + 1);
        expect(await reader.read(changed)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});

describe("without any secret", () => {
  it("issues and accepts plain UUIDs, and says it is unsigned so the caller can warn", async () => {
    const ids = AnonymousIds.fromVars({});
    expect(ids.signed).toBe(false);
    expect(await ids.issue(UUID)).toEqual({ id: UUID, cookieValue: UUID });
    expect(await ids.read("00000000-0000-4000-8000-000000000001")).toBe("00000000-0000-4000-8000-000000000001");
    expect(await ids.read("not-a-uuid")).toBeUndefined();
  });
});
