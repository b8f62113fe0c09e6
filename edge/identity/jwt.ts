/**
 * JWT verification for `{ jwt }` stickiness sources, with jose. The request path never waits on
 * anything but the chosen origin, so the JWKS is fetched in the background (`waitUntil`): until it
 * arrives, and for a `kid` it does not hold, a token is unverifiable and the caller moves on to
 * the next stickiness source. Every refusal is `undefined`, never an exception.
 *
 * Algorithms are pinned to the key: HS256 only with IDENTITY_JWT_SECRET, RS256/ES256 only with the
 * keys of IDENTITY_JWKS_URL, so neither `alg: none` nor an HS256 token MACed with a public key passes.
 */
import { createLocalJWKSet, decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, jwtVerify } from "jose";
import { AUTHORIZATION_HEADER, type JwtLocation } from "../../contracts/identity";
import { readCookie } from "../cookies";
import type { HeaderReader } from "../identify";
import { BoundedCache } from "./anonymous";

/** Verified tokens remembered per isolate, so a busy user's next request costs a map lookup. */
export const JWT_CACHE_ENTRIES = 1_000;
/** A remembered verification lasts until the token's `exp`, and no longer than this. */
export const JWT_CACHE_MAX_AGE_MS = 60_000;
/** Keys older than this are refreshed in the background; they keep verifying meanwhile. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
/** No JWKS fetch starts within this long of the previous one (failed or not): a burst of unknown `kid`s costs one fetch. */
export const JWKS_MIN_INTERVAL_MS = 30_000;
/** A JWKS fetch that has not finished by then counts as failed. */
export const JWKS_FETCH_TIMEOUT_MS = 5_000;
/** Longer tokens are refused unread: they bound what the cache can hold (1,000 × 4 KiB). */
export const MAX_TOKEN_LENGTH = 4_096;
/** The same bound as a user id in a header or cookie (contracts/rollout.ts `UserId`). */
export const MAX_USER_ID_LENGTH = 256;
const MAX_JWKS_CHARS = 256 * 1024;
/** RFC 7518 §3.2: an HS256 key should be at least as long as the hash output (32 bytes). */
const MIN_SECRET_BYTES = 32;

export const SECRET_ALGORITHMS = ["HS256"];
export const JWKS_ALGORITHMS = ["RS256", "ES256"];

/** The worker vars that configure verification; unset means that kind of key is not used. */
export interface IdentityJwtVars {
  /** HS256 shared secret (its UTF-8 bytes are the key). */
  IDENTITY_JWT_SECRET?: string;
  /** https URL of a JWKS document with RS256/ES256 public keys. */
  IDENTITY_JWKS_URL?: string;
  /** Required `iss`, when set. */
  IDENTITY_JWT_ISSUER?: string;
  /** Required in `aud`, when set. */
  IDENTITY_JWT_AUDIENCE?: string;
}

export type FetchJwks = (url: string, init: RequestInit) => Promise<Response>;
/** `ExecutionContext.waitUntil` of the current request: keeps the background fetch alive. */
export type WaitUntil = (promise: Promise<unknown>) => void;

export interface VerifiedJwt {
  /** The claim's value: a string, or a number written in decimal. */
  userId: string;
  claims: Record<string, unknown>;
}

export interface JwtVerifierOptions {
  fetch: FetchJwks;
  /** Told why a JWKS fetch failed (for the operator's log); never reaches the user. */
  onError?: (message: string) => void;
}

/**
 * The token of a `{ jwt }` source in a request: `Authorization: Bearer <jwt>`, another header's
 * whole value, or a cookie's value.
 */
export function readJwt(location: JwtLocation, headers: HeaderReader): string | undefined {
  if ("cookie" in location) return readCookie(headers.get("cookie"), location.cookie) || undefined;
  const value = headers.get(location.header)?.trim();
  if (!value || location.header !== AUTHORIZATION_HEADER) return value || undefined;
  return /^bearer +(\S+)$/i.exec(value)?.[1]; // the scheme is case-insensitive (RFC 9110 §11.1)
}

/** The user id in claim `name`: a non-empty string or a finite number, at most 256 characters. */
export function claimValue(claims: Record<string, unknown>, name: string): string | undefined {
  if (!Object.hasOwn(claims, name)) return undefined;
  const value = claims[name];
  const text = typeof value === "string" ? value : typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;
  return text && text.length <= MAX_USER_ID_LENGTH ? text : undefined;
}

function jwksUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `IDENTITY_JWKS_URL must be an absolute URL, got ${JSON.stringify(value)}`;
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol === "https:" || (url.protocol === "http:" && loopback)) return undefined;
  return "IDENTITY_JWKS_URL must use https (plain http only on localhost): keys fetched in the clear could be swapped";
}

/**
 * Verifies identity JWTs. One per isolate: it holds the JWKS, the fetch state and a cache of
 * verified tokens. `problems` lists var mistakes to log once; `enabled` is false when no key is set.
 */
export class JwtVerifier {
  readonly problems: string[] = [];
  private readonly secret: Uint8Array | undefined;
  private readonly jwksUrl: string | undefined;
  private readonly claimChecks: Pick<JWTVerifyOptions, "issuer" | "audience">;
  private keys: { resolve: JWTVerifyGetKey; fetchedAtMs: number } | undefined;
  private fetching = false;
  private lastFetchMs = Number.NEGATIVE_INFINITY;
  private readonly verified = new BoundedCache<JWTPayload>(JWT_CACHE_ENTRIES);

  constructor(
    vars: IdentityJwtVars,
    private readonly options: JwtVerifierOptions,
  ) {
    const secret = vars.IDENTITY_JWT_SECRET ? new TextEncoder().encode(vars.IDENTITY_JWT_SECRET) : undefined;
    if (secret && secret.length < MIN_SECRET_BYTES) this.problems.push(`IDENTITY_JWT_SECRET is shorter than ${MIN_SECRET_BYTES} bytes: an HS256 key that short can be guessed`);
    this.secret = secret;
    const url = vars.IDENTITY_JWKS_URL?.trim();
    const urlProblem = url ? jwksUrlProblem(url) : undefined;
    if (urlProblem) this.problems.push(urlProblem);
    this.jwksUrl = url && !urlProblem ? url : undefined;
    this.claimChecks = { issuer: vars.IDENTITY_JWT_ISSUER?.trim() || undefined, audience: vars.IDENTITY_JWT_AUDIENCE?.trim() || undefined };
  }

  /** Whether any key is configured; without one every token is unverifiable. */
  get enabled(): boolean {
    return this.secret !== undefined || this.jwksUrl !== undefined;
  }

  /**
   * The user id in claim `claimName` of `token` at `nowMs`, or `undefined` when the token is not
   * (yet) verifiable. Waits on no network: a JWKS fetch it needs goes to `waitUntil`.
   */
  async verify(token: string, claimName: string, nowMs: number, waitUntil: WaitUntil): Promise<VerifiedJwt | undefined> {
    if (!this.enabled || !token || token.length > MAX_TOKEN_LENGTH) return undefined;
    this.warm(nowMs, waitUntil);
    let claims = this.verified.get(token, nowMs);
    if (!claims) {
      claims = await this.check(token, nowMs, waitUntil);
      if (!claims) return undefined;
      this.verified.set(token, claims, Math.min(claims.exp! * 1000, nowMs + JWT_CACHE_MAX_AGE_MS));
    }
    const userId = claimValue(claims, claimName);
    return userId === undefined ? undefined : { userId, claims };
  }

  /** Starts a background JWKS fetch if the keys are missing or older than 10 minutes; cheap to call on every request. */
  warm(nowMs: number, waitUntil: WaitUntil): void {
    if (this.jwksUrl && (!this.keys || nowMs - this.keys.fetchedAtMs >= JWKS_MAX_AGE_MS)) this.refresh(nowMs, waitUntil);
  }

  private async check(token: string, nowMs: number, waitUntil: WaitUntil): Promise<JWTPayload | undefined> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return undefined;
    }
    // `exp` is required: a token that never expires would stay valid forever once leaked.
    const common: JWTVerifyOptions = { ...this.claimChecks, currentDate: new Date(nowMs), requiredClaims: ["exp"] };
    try {
      if (this.secret && alg === "HS256") return (await jwtVerify(token, this.secret, { ...common, algorithms: SECRET_ALGORITHMS })).payload;
      if (!this.jwksUrl || typeof alg !== "string" || !JWKS_ALGORITHMS.includes(alg)) return undefined;
      if (!this.keys) return undefined; // warm() has asked for them
      return await this.verifyWithKeys(this.keys.resolve, token, { ...common, algorithms: JWKS_ALGORITHMS });
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) this.refresh(nowMs, waitUntil); // a key the issuer added since
      return undefined;
    }
  }

  /** jose leaves a token without `kid` that fits several keys to the caller: try each (its documented recipe). */
  private async verifyWithKeys(keys: JWTVerifyGetKey, token: string, options: JWTVerifyOptions): Promise<JWTPayload | undefined> {
    try {
      return (await jwtVerify(token, keys, options)).payload;
    } catch (error) {
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
      for await (const key of error) {
        const result = await jwtVerify(token, key, options).catch(() => undefined);
        if (result) return result.payload;
      }
      return undefined;
    }
  }

  private refresh(nowMs: number, waitUntil: WaitUntil): void {
    if (this.fetching || nowMs - this.lastFetchMs < JWKS_MIN_INTERVAL_MS) return;
    this.fetching = true;
    this.lastFetchMs = nowMs;
    waitUntil(this.load(this.jwksUrl!, nowMs).finally(() => (this.fetching = false)));
  }

  /** Never rejects: a failed fetch keeps the keys there were. */
  private async load(url: string, nowMs: number): Promise<void> {
    try {
      const fetchJwks = this.options.fetch; // called unbound: the Workers global fetch throws "Illegal invocation" as a method of another object
      const response = await fetchJwks(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      if (text.length > MAX_JWKS_CHARS) throw new Error(`the document is over ${MAX_JWKS_CHARS} characters`);
      this.keys = { resolve: createLocalJWKSet(JSON.parse(text)), fetchedAtMs: nowMs };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.onError?.(
        `JWKS fetch from ${url} failed (${reason}); ${this.keys ? "keeping the previous keys" : "JWT sources stay unverifiable"}; next try in ${JWKS_MIN_INTERVAL_MS / 1000} s at the earliest`,
      );
    }
  }
}
