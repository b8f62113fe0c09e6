/**
 * The bulk endpoint's ETag: a hash of the answer itself, so it changes exactly when any result
 * for that context changes (a value, a reason, the config version in the metadata). The web
 * provider keeps its ETag across config changes for the same `targetingKey`, so a tag derived
 * from the config version alone, or from the user alone, would let it keep a stale answer.
 */

/** Bytes of the SHA-256 digest kept: 128 bits, far beyond any chance of two answers colliding. */
const TAG_BYTES = 16;

const encoder = new TextEncoder();

/** A strong entity tag for `body`, e.g. `"q0m3Zt1Rfm9uGZ2p1WcJdA"`. */
export async function entityTag(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(body)));
  let binary = "";
  for (const byte of digest.subarray(0, TAG_BYTES)) binary += String.fromCharCode(byte);
  return `"${btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")}"`;
}

/**
 * Whether `If-None-Match` matches `etag` (RFC 9110 §13.1.2: `*`, or a list of tags compared
 * weakly, so `W/"x"` matches `"x"`).
 */
export function noneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === opaque);
}
