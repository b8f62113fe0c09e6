/**
 * QA override tokens: a signed, expiring grant that sends its holder to one variant of one
 * rollout (never past a kill). A bare header an end user could set does nothing.
 *
 * Token format (v1): `v1.<rolloutId>.<variant>.<expiresAtUnixSeconds>.<base64url HMAC-SHA256>`
 * where the MAC covers everything before the last dot, keyed with OVERRIDE_SECRET (or ADMIN_TOKEN).
 */
import type { Variant } from "../contracts/decision";

/** Header and cookie that carry an override token. */
export const OVERRIDE_HEADER = "x-rollout-override";
export const OVERRIDE_COOKIE = "edge_rollout_override";

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keyCache.set(secret, key);
  }
  return key;
}

function toBase64Url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

export async function signOverride(secret: string, rolloutId: string, variant: Variant, expiresAt: number): Promise<string> {
  const payload = `v1.${rolloutId}.${variant}.${expiresAt}`;
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(payload));
  return `${payload}.${toBase64Url(mac)}`;
}

/** The variant a token grants for `rolloutId` at `nowSeconds`, or undefined if it grants nothing. */
export async function verifyOverride(secret: string, token: string, rolloutId: string, nowSeconds: number): Promise<Variant | undefined> {
  const parts = token.split(".");
  if (parts.length !== 5 || parts[0] !== "v1" || parts[1] !== rolloutId) return undefined;
  const variant = parts[2];
  const expiresAt = Number(parts[3]);
  if ((variant !== "new" && variant !== "legacy") || !Number.isInteger(expiresAt) || expiresAt < nowSeconds) return undefined;
  const mac = fromBase64Url(parts[4]!);
  if (!mac) return undefined;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, encoder.encode(parts.slice(0, 4).join(".")));
  return ok ? variant : undefined;
}
