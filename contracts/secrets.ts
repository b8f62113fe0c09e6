/** Token checks shared by the admin API and the debug header. */

const encoder = new TextEncoder();

/**
 * Constant-time comparison of a presented secret with the configured one. Both sides are hashed
 * first so that neither their contents nor their lengths leak through timing.
 */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", encoder.encode(presented)), crypto.subtle.digest("SHA-256", encoder.encode(expected))]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | null): string | undefined {
  const match = header?.match(/^Bearer[ ]+(\S+)\s*$/i);
  return match?.[1];
}

/**
 * Whether a bearer token seen on a *proxied* request is the admin token, to keep it from the
 * origin. Most apps send their own bearer token on every request, so tokens of another length are
 * told apart without hashing (timing then reveals only whether the lengths differ, never content).
 */
export async function isAdminBearer(presented: string | undefined, adminToken: string | undefined): Promise<boolean> {
  if (!adminToken || !presented || presented.length !== adminToken.length) return false;
  return secretsEqual(presented, adminToken);
}

/** Whether `presented` is the admin token; always false when none is configured (admin closed). */
export async function isAdminToken(presented: string | undefined, adminToken: string | undefined): Promise<boolean> {
  if (!adminToken || !presented) return false;
  return secretsEqual(presented, adminToken);
}
