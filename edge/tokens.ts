/**
 * Checking a bearer token against the isolate's snapshot, with no call to the control plane: the
 * snapshot carries every named token's id, scopes, expiry and the SHA-256 of its secret, compiled
 * once per config version (./match.ts). A revoked token is gone from the next snapshot, so it
 * fails within the freshness window. Used by the admin API and by flag evaluation (OFREP).
 * No I/O, no clock (`now` is passed in).
 */
import { bearerToken, isAdminToken } from "../contracts/secrets";
import { ADMIN_TOKEN_NAME, grants, parseToken, SHA256_HEX, TOKEN_SCOPES, type SnapshotToken, type TokenScope } from "../contracts/tokens";

/** A token ready to check: its hash as bytes, its expiry as epoch ms. */
export interface CompiledToken {
  id: string;
  name: string;
  scopes: readonly TokenScope[];
  hash: Uint8Array;
  /** Epoch ms; Infinity = never. */
  expiresAt: number;
}

/** Named tokens by id. */
export type TokenTable = ReadonlyMap<string, CompiledToken>;

export const NO_TOKENS: TokenTable = new Map();

/** Who a request's token belongs to, or why it is refused. */
export type Authorization = { ok: true; name: string; scopes: readonly TokenScope[] } | { ok: false; status: 401 | 403; detail: string };

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** The snapshot's tokens, compiled (a malformed row is left out: it could never match). */
export function compileTokens(tokens: readonly SnapshotToken[] | undefined): TokenTable {
  if (!tokens?.length) return NO_TOKENS;
  const table = new Map<string, CompiledToken>();
  for (const t of tokens) {
    if (!SHA256_HEX.test(t.hash)) continue;
    const expiresAt = t.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(t.expiresAt);
    table.set(t.id, { id: t.id, name: t.name, scopes: t.scopes, hash: fromHex(t.hash), expiresAt: Number.isNaN(expiresAt) ? 0 : expiresAt });
  }
  return table;
}

/**
 * Two SHA-256 digests compared in constant time: every byte is looked at whatever differs (both
 * are 32 bytes; a digest of the wrong length never matches).
 */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

const unauthorized = (detail: string): Authorization => ({ ok: false, status: 401, detail });

/** The named token `presented` stands for, or why not (unknown, revoked, wrong secret, expired). */
async function namedToken(tokens: TokenTable, presented: string, now: number): Promise<CompiledToken | string> {
  const parsed = parseToken(presented);
  if (!parsed) return "The bearer token is neither ADMIN_TOKEN nor a named token (er_<id>_<secret>).";
  const token = tokens.get(parsed.id);
  // The secret is hashed even for an unknown id, so that timing does not tell known ids apart.
  const presentedHash = await sha256(parsed.secret);
  if (!token || !digestsEqual(presentedHash, token.hash)) return "The token is unknown or has been revoked.";
  if (now >= token.expiresAt) return `The token "${token.name}" expired at ${new Date(token.expiresAt).toISOString()}.`;
  return token;
}

/**
 * Who the `Authorization` header names, and whether it may do what `required` needs:
 * `ADMIN_TOKEN` is the token `admin` with every scope; a named token (`er_<id>_<secret>`) must be in
 * `tokens`, with the SHA-256 of its secret, and not expired at `now` (epoch ms). `required` null =
 * any valid token. 401 for no, unknown, expired or revoked token; 403 for a known token without
 * the scope (the detail names it).
 *
 * @example
 * const auth = await authorize(table.tokens, env.ADMIN_TOKEN, request.headers.get("authorization"), "evaluate", Date.now());
 * if (!auth.ok) return problemResponse(auth.status, auth.status === 401 ? "unauthorized" : "forbidden", "…", auth.detail);
 */
export async function authorize(
  tokens: TokenTable | undefined,
  adminToken: string | undefined,
  authorizationHeader: string | null | undefined,
  required: TokenScope | null,
  now: number,
): Promise<Authorization> {
  const presented = bearerToken(authorizationHeader ?? null);
  if (presented && (await isAdminToken(presented, adminToken))) return { ok: true, name: ADMIN_TOKEN_NAME, scopes: TOKEN_SCOPES };
  // Without ADMIN_TOKEN only named tokens (created while it was set) get in: closed, never open.
  if (!adminToken && !(presented && parseToken(presented)))
    return unauthorized("The admin API is closed: no ADMIN_TOKEN is configured (wrangler secret put ADMIN_TOKEN, or .dev.vars locally).");
  if (!presented) return unauthorized("Send Authorization: Bearer <token> (ADMIN_TOKEN or a named token).");
  const token = await namedToken(tokens ?? NO_TOKENS, presented, now);
  if (typeof token === "string") return unauthorized(token);
  if (required !== null && !grants(token.scopes, required)) return { ok: false, status: 403, detail: missingScope(token, required) };
  return { ok: true, name: token.name, scopes: token.scopes };
}

/** Why a known token is refused (403): names the token, its scopes and the scope it lacks. */
export function missingScope(token: { name: string; scopes: readonly TokenScope[] }, required: TokenScope, what = "This request"): string {
  return `${what} needs the "${required}" scope; the token "${token.name}" has ${token.scopes.map((s) => `"${s}"`).join(", ")}.`;
}
