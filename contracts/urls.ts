/**
 * The one check behind every URL an operator configures (origins, webhooks, external checks and
 * probes): absolute, http or https, and never credentials in the URL, which every view of the
 * config would show back.
 */

/** Why `value` is not an absolute http(s) URL without credentials, or the parsed URL. */
export function parseHttpUrl(value: string, credentialsHint: string): { url: URL } | { problem: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `must be an absolute http or https URL, got ${JSON.stringify(value)}` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { problem: `must use http or https, got ${url.protocol.replace(":", "")}` };
  if (url.username || url.password) return { problem: `must not carry credentials${credentialsHint}` };
  return { url };
}

/** Why `value` is not a usable origin URL (also no query or fragment), or `undefined` when it is one. */
export function originUrlProblem(value: string): string | undefined {
  const parsed = parseHttpUrl(value, "");
  if ("problem" in parsed) return parsed.problem;
  if (parsed.url.search || parsed.url.hash) return "must not carry a query or fragment";
  return undefined;
}
