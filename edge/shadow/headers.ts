/**
 * The headers of a mirrored request. Pure: a new Headers object, the incoming one untouched.
 * The router's own header policy (hop-by-hop, forwarding headers) is applied by the caller.
 */

/** Marks a request as a mirror, so the new origin can keep it out of side effects and metrics. */
export const SHADOW_HEADER = "x-rollout-shadow";

/**
 * Headers that carry the user's identity. Without consent the new origin should not receive
 * them: it may log them, or act as the user (a "safe" GET is not always side-effect free).
 */
export const CREDENTIAL_HEADERS = ["cookie", "authorization", "proxy-authorization"] as const;

/**
 * The headers to send to the new origin with a mirror of a request: a copy of `incoming`,
 * without credentials unless `forwardCredentials`, and with `x-rollout-shadow: 1` (replacing any
 * value the client sent, so a client cannot pass its request off as a mirror or hide that it is one).
 *
 * @example mirrorHeaders(request.headers, false).get("x-rollout-shadow") // "1"
 */
export function mirrorHeaders(incoming: Headers, forwardCredentials: boolean): Headers {
  const out = new Headers(incoming);
  if (!forwardCredentials) for (const name of CREDENTIAL_HEADERS) out.delete(name);
  out.set(SHADOW_HEADER, "1");
  return out;
}
