/**
 * Named admin tokens: what they are called, which scopes they carry, how they are written
 * (`er_<id>_<secret>`) and how they are stored (the SHA-256 of the secret, never the secret).
 * Shared by the control plane (stores them), the admin API and the edge (check them), the CLI
 * and the dashboard. No I/O; randomness only where a caller passes it in or asks for a new token.
 */
import * as z from "./zod";

/**
 * What a token may do:
 * - `read`: every GET of the admin API (rollouts, health, audit, stats, analytics, tokens excepted);
 * - `operate`: kill, resume, pause, continue, promote, percentage changes (a PATCH that changes
 *   only `percent`), the global kill switch;
 * - `admin`: everything, including config writes and tokens (it grants every other scope);
 * - `evaluate`: flag evaluation (OFREP, `/ofrep/v1/...`) only, never the admin API.
 */
export const TOKEN_SCOPES = ["read", "operate", "admin", "evaluate"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
export const TokenScopeSchema = z.enum(TOKEN_SCOPES, `must be one of ${TOKEN_SCOPES.join(", ")}`);

/** The name of the bootstrap token, `ADMIN_TOKEN`, in the audit log and in `whoami`. */
export const ADMIN_TOKEN_NAME = "admin";

/**
 * Names a token may not take: the bootstrap token's, and the control plane's own actors, so that
 * an audit entry's actor always says unambiguously who acted.
 */
export const RESERVED_TOKEN_NAMES: readonly string[] = [ADMIN_TOKEN_NAME, "seed", "guard", "stages"];

/** Most named tokens at once: every isolate holds them all in its snapshot. */
export const MAX_TOKENS = 100;

/** A token's name: a slug, unique among live tokens; it is the actor of everything done with it. */
export const TokenName = z.string().check(
  z.regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be a slug: lowercase letters, digits and '-', 1-64 characters, not starting with '-'"),
  z.refine((name) => !RESERVED_TOKEN_NAMES.includes(name), `is reserved (${RESERVED_TOKEN_NAMES.join(", ")} name the bootstrap token and the control plane itself)`),
);

/** Body of `POST /tokens`. */
export const TokenCreateBodySchema = z.strictObject({
  name: TokenName,
  scopes: z.array(TokenScopeSchema).check(z.minLength(1, "must name at least one scope"), z.maxLength(TOKEN_SCOPES.length)),
  /** When the token stops working (ISO-8601); none = until revoked. */
  expiresAt: z.optional(z.iso.datetime({ offset: true, message: "must be an ISO-8601 date-time, e.g. 2026-12-31T00:00:00Z" })),
});
export type TokenCreateBody = z.infer<typeof TokenCreateBodySchema>;

/** 8 random bytes as hex: enough to tell tokens apart, not a secret. */
export const TOKEN_ID = /^[0-9a-f]{16}$/;
/** 32 random bytes as hex: the secret's strength (256 bits) makes its plain SHA-256 safe to keep. */
const TOKEN_SECRET = /^[0-9a-f]{64}$/;
/** A SHA-256 digest as hex. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
const TOKEN_FORMAT = /^er_([0-9a-f]{16})_([0-9a-f]{64})$/;

/** A token as the control plane stores it. */
export interface StoredToken {
  id: string;
  name: string;
  scopes: TokenScope[];
  /** SHA-256 of the secret, hex. */
  hash: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
}

/** What every isolate caches of a token: enough to check it, nothing to show. */
export type SnapshotToken = Pick<StoredToken, "id" | "name" | "scopes" | "hash" | "expiresAt">;

/** A token as `GET /tokens` lists it: never the secret, never its hash. */
export type TokenView = Omit<StoredToken, "hash">;

/** `GET /whoami`. */
export interface Whoami {
  name: string;
  scopes: TokenScope[];
}

export const tokenView = ({ hash: _, ...view }: StoredToken): TokenView => view;
export const snapshotToken = ({ id, name, scopes, hash, expiresAt }: StoredToken): SnapshotToken => ({ id, name, scopes, hash, expiresAt });

/** Whether `scopes` allow what `required` names (`admin` allows everything). */
export function grants(scopes: readonly TokenScope[], required: TokenScope): boolean {
  return scopes.includes(required) || scopes.includes("admin");
}

/** `er_<id>_<secret>` as a client sends it. */
export const formatToken = (id: string, secret: string): string => `er_${id}_${secret}`;

/** The id and secret of a named token, or undefined when `token` is not one (e.g. ADMIN_TOKEN). */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN_FORMAT.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** SHA-256 of a token's secret, as the control plane stores it (hex). */
export async function hashSecret(secret: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret))));
}

/** A new token: its id, its secret (shown once), the secret's hash (stored), and the token as sent. */
export async function mintToken(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): Promise<{ id: string; secret: string; hash: string; token: string }> {
  const id = hex(random(new Uint8Array(8)));
  const secret = hex(random(new Uint8Array(32)));
  if (!TOKEN_ID.test(id) || !TOKEN_SECRET.test(secret)) throw new Error("random source returned too few bytes");
  return { id, secret, hash: await hashSecret(secret), token: formatToken(id, secret) };
}
