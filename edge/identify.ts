/**
 * Step 2 of the request path: who is this user? The rollout's stickiness sources in order, then
 * the router's own anonymous id, then a new anonymous id. A JWT source gives a *verified* id
 * (signature checked, ./identity/jwt.ts); a header or cookie gives a *claimed* one (the client
 * chose it); the anonymous id is signed by the router (./identity/anonymous.ts), so a client cannot
 * choose its value, but it is still only claimed: it names a browser, not a person.
 */
import type { Identity } from "../contracts/decision";
import { readCookie } from "./cookies";
import { ANONYMOUS_ID_COOKIE } from "./decide";
import type { AnonymousIds } from "./identity/anonymous";
import { readJwt, type JwtVerifier, type WaitUntil } from "./identity/jwt";
import type { CompiledRollout } from "./match";

/** The request facts identification reads; a `Headers` object satisfies it. */
export interface HeaderReader {
  get(name: string): string | null;
}

export interface IdentifyDeps {
  jwt: JwtVerifier | undefined;
  anonymous: AnonymousIds;
  clock: () => number;
  randomId: () => string;
  waitUntil?: WaitUntil;
}

/** The user, and the anonymous id cookie to set when one was issued for this request. */
export interface Identified {
  identity: Identity;
  /** The value of a new `edge_rollout_uid` cookie (signed), when the router issued an id. */
  newAnonymousCookie?: string;
}

const noWait: WaitUntil = () => {};

/**
 * The first claimed (header or cookie) id among the rollout's sources, skipping JWT sources: pure
 * and synchronous (used by the CLI and the decision benchmark, and as the fast path here).
 */
export function claimedIdentity(rollout: CompiledRollout, headers: HeaderReader): Identity | undefined {
  const cookies: CookieCache = { header: undefined };
  for (let i = 0; i < rollout.stickiness.length; i++) {
    const identity = claimFrom(rollout, i, headers, cookies);
    if (identity) return identity;
  }
  return undefined;
}

/** The Cookie header, read once per request however many cookie sources there are. */
interface CookieCache {
  header: string | null | undefined;
}

/** The id stickiness source `i` (a header or a cookie) yields, if any; labels come precomputed. */
function claimFrom(rollout: CompiledRollout, i: number, headers: HeaderReader, cookies: CookieCache): Identity | undefined {
  const source = rollout.stickiness[i]!;
  let value: string | undefined;
  if ("header" in source) value = headers.get(source.header)?.trim();
  else if ("cookie" in source) {
    if (cookies.header === undefined) cookies.header = headers.get("cookie");
    value = readCookie(cookies.header, source.cookie);
  }
  return value ? { userId: value, source: rollout.sourceLabels[i]!, verified: false } : undefined;
}

/** 2. Identify: the first source that yields an id wins; a token that does not verify is skipped. */
export async function identify(rollout: CompiledRollout, headers: HeaderReader, deps: IdentifyDeps): Promise<Identified> {
  if (!rollout.hasJwtSource) {
    const claimed = claimedIdentity(rollout, headers);
    if (claimed) return { identity: claimed };
  } else {
    const cookies: CookieCache = { header: undefined };
    for (let i = 0; i < rollout.stickiness.length; i++) {
      const source = rollout.stickiness[i]!;
      if ("jwt" in source) {
        const token = deps.jwt ? readJwt(source.jwt, headers) : undefined;
        const verified = token ? await deps.jwt!.verify(token, source.jwt.claim, deps.clock(), deps.waitUntil ?? noWait) : undefined;
        if (verified)
          return {
            identity: {
              userId: verified.userId,
              source: rollout.sourceLabels[i]!,
              verified: true,
              claims: verified.claims,
            },
          };
        continue;
      }
      const claimed = claimFrom(rollout, i, headers, cookies);
      if (claimed) return { identity: claimed };
    }
  }
  const cookie = readCookie(headers.get("cookie"), ANONYMOUS_ID_COOKIE);
  const known = cookie ? await deps.anonymous.read(cookie) : undefined;
  if (known) return { identity: { userId: known, source: "anonymous", verified: false } };
  const issued = await deps.anonymous.issue(deps.randomId());
  return { identity: { userId: issued.id, source: "new-anonymous", verified: false }, newAnonymousCookie: issued.cookieValue };
}
