/**
 * Verified identity: a stickiness source whose user id is a claim of a signed JWT, so an end user
 * cannot name themselves (a plain `{ header }` or `{ cookie }` source is whatever the client sends).
 * The schema only; verification lives in edge/identity/jwt.ts. No I/O.
 */
import { CookieName, HeaderName } from "./http-names";
import * as z from "./zod";

/** The claim read when a source names none: the subject, the user id in OpenID Connect. */
export const DEFAULT_JWT_CLAIM = "sub";

/** Claim names are JSON member names; this bound keeps a config readable, not a JWT rule. */
export const MAX_CLAIM_NAME_LENGTH = 100;

/** The header whose value is `Bearer <jwt>` (RFC 6750 §2.1) rather than the bare token. */
export const AUTHORIZATION_HEADER = "authorization";

/** The name of the claim that holds the user id. @default "sub" */
export const ClaimName = z
  .string()
  .check(z.minLength(1, "must name a claim (at least 1 character)"), z.maxLength(MAX_CLAIM_NAME_LENGTH, `must be at most ${MAX_CLAIM_NAME_LENGTH} characters`));

const claim = z._default(ClaimName, DEFAULT_JWT_CLAIM);

/**
 * A stickiness source whose user id is a claim of a verified JWT. With `header: "authorization"`
 * the token is read from `Authorization: Bearer <jwt>`; with any other header the header's whole
 * value is the token; with `cookie` the cookie's value is. A token that does not verify (bad
 * signature, expired, wrong issuer or audience, claim missing) is skipped like an absent one, and
 * the next source is tried.
 *
 * @example { "jwt": { "header": "authorization" } }
 * @example { "jwt": { "cookie": "session", "claim": "uid" } }
 */
export const JwtSource = z.strictObject({
  jwt: z.union([z.strictObject({ header: HeaderName, claim }), z.strictObject({ cookie: CookieName, claim })]),
});

export type JwtSource = z.infer<typeof JwtSource>;
/** Where the token is and which claim names the user. */
export type JwtLocation = JwtSource["jwt"];
