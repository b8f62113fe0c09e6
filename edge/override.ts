/**
 * QA override tokens: a signed, expiring grant that sends its holder to one variant of one
 * rollout (never past a kill). A bare header an end user could set does nothing.
 *
 * Token format (v2): `v2.<rolloutId>.<variant>.<issuedAt>.<expiresAt>.<base64url HMAC-SHA256>`
 * (times in Unix seconds) where the MAC covers everything before the last dot, keyed with
 * OVERRIDE_SECRET; without that secret overrides are off. An operator can revoke every token
 * issued before a time (the config's `overrides.revokedBefore`). v1 tokens (keyed with the admin
 * token by default) are no longer accepted.
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

export async function signOverride(secret: string, rolloutId: string, variant: Variant, issuedAt: number, expiresAt: number): Promise<string> {
  const payload = `v2.${rolloutId}.${variant}.${issuedAt}.${expiresAt}`;
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(payload));
  return `${payload}.${toBase64Url(mac)}`;
}

/** What a valid token grants. */
export interface OverrideGrant {
  variant: Variant;
  /** Unix seconds. */
  issuedAt: number;
}

/**
 * The grant of a token for `rolloutId` at `nowSeconds`, or undefined if it grants nothing:
 * malformed, for another rollout, expired, issued before `revokedBeforeSeconds`, or not signed
 * with `secret`.
 */
export async function verifyOverride(secret: string, token: string, rolloutId: string, nowSeconds: number, revokedBeforeSeconds = 0): Promise<OverrideGrant | undefined> {
  const parts = token.split(".");
  if (parts.length !== 6 || parts[0] !== "v2" || parts[1] !== rolloutId) return undefined;
  const variant = parts[2];
  const issuedAt = Number(parts[3]);
  const expiresAt = Number(parts[4]);
  if (variant !== "new" && variant !== "legacy") return undefined;
  if (!Number.isInteger(issuedAt) || !Number.isInteger(expiresAt) || expiresAt < nowSeconds || issuedAt < revokedBeforeSeconds) return undefined;
  const mac = fromBase64Url(parts[5]!);
  if (!mac) return undefined;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, encoder.encode(parts.slice(0, 5).join(".")));
  return ok ? { variant, issuedAt } : undefined;
}
