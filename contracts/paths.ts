/**
 * How the router reads a request path to match it against rollouts' path prefixes. An origin
 * treats many spellings of a path as the same (`//checkout/pay`, `/%63heckout/pay`,
 * `/checkout/./pay`, `/checkout;jsessionid=1/pay`); a client must not escape a rollout, or its kill
 * switch, by choosing another spelling. So matching uses a normalised path, while the request is
 * forwarded with the path exactly as sent. No I/O.
 *
 * Normalisation (for matching only):
 * 1. percent-escapes of unreserved characters (RFC 3986: A-Z a-z 0-9 - . _ ~) and of `/` are
 *    decoded (an origin that decodes `%2F` sees a separator; one that does not sees a longer
 *    segment, and then matching more, never less, is the safe side); other escapes stay as sent;
 * 2. `\` counts as `/` (some servers accept it);
 * 3. path parameters (`;…` up to the next `/`) are dropped, as servlet containers do;
 * 4. repeated slashes collapse into one;
 * 5. `.` and `..` segments are resolved (never above the root).
 * Paths stay case-sensitive, as RFC 3986 says.
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Whether `path` may need normalising: most paths do not, and are returned as they are. */
function needsWork(path: string): boolean {
  return path.includes("%") || path.includes("//") || path.includes("/.") || path.includes(";") || path.includes("\\");
}

function decodeSafe(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (escaped, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) || ch === "/" ? ch : escaped.toUpperCase();
  });
}

/**
 * The path a request is matched with.
 *
 * @example normalizePath("//%63heckout/./pay;v=1") // "/checkout/pay"
 */
export function normalizePath(path: string): string {
  if (!needsWork(path)) return path;
  // One pass: `%25` ("%") is not decoded, so decoding never reveals a new escape.
  const decoded = decodeSafe(path);
  const out: string[] = [];
  for (const raw of decoded.replaceAll("\\", "/").split("/")) {
    const semicolon = raw.indexOf(";");
    const segment = semicolon === -1 ? raw : raw.slice(0, semicolon);
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  const trailing = /\/(\.{0,2})$/.test(decoded) && out.length > 0;
  return "/" + out.join("/") + (trailing ? "/" : "");
}

/**
 * A configured path prefix in the form matching compares: normalised like a request path, without
 * a trailing slash (`/api/` and `/api` mean the same prefix: whole path segments). The routing
 * table and the overlap check both use this, so they can never disagree.
 */
export function normalizePrefix(prefix: string): string {
  const normalized = normalizePath(prefix);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}
