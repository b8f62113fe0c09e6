/**
 * Whether a string is a usable origin URL. Its own module so that contracts/external.ts can use it
 * without importing contracts/rollout.ts (which imports the guard, which imports external checks).
 */

/** Why `value` is not a usable origin URL, or `undefined` when it is one. */
export function originUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute http or https URL, got ${JSON.stringify(value)}`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must use http or https, got ${url.protocol.replace(":", "")}`;
  if (url.username || url.password) return "must not carry credentials";
  if (url.search || url.hash) return "must not carry a query or fragment";
  return undefined;
}
