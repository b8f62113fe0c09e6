/** Bad requests around a valid body: If-Match values, ids in the URL, credentials and X-Actor. */
import fc from "fast-check";
import { all, type BadInputKind, type Endpoint, request, type Target, validText } from "./endpoints";

const takesIfMatch = (e: Endpoint) => e.ifMatch !== "none";
const perRollout = (e: Endpoint) => e.perRollout;
/** PUT creates a rollout under an unknown (valid) id, so only the others must refuse one. */
const refusesUnknownId = (e: Endpoint) => e.perRollout && e.method !== "PUT";

const SAFE_INT = Number.MAX_SAFE_INTEGER;

/** The current version If-Match is compared with on `e`. */
const current = (e: Endpoint, t: Target) => (e.ifMatch === "config" ? t.configVersion : e.ifMatch === "segment" ? t.segmentVersion : t.rolloutVersion);

/** A valid request with the If-Match header values of `values` (given the current version). */
function ifMatch(name: string, values: (now: number) => fc.Arbitrary<string>): BadInputKind {
  return {
    name,
    appliesTo: takesIfMatch,
    request: (e, t) => values(current(e, t)).map((v) => request(e, t, { body: e.readsBody ? validText(e, t) : undefined, headers: { "if-match": v } })),
  };
}

const ifMatches: BadInputKind[] = [
  ifMatch("a stale If-Match (an older version)", (now) => fc.integer({ min: 0, max: now - 1 }).map((v) => `"${v}"`)),
  ifMatch("an If-Match from the future", (now) => fc.integer({ min: now + 1, max: 999_999_999_999_999 }).map((v) => `"${v}"`)),
  ifMatch("an If-Match that is not a version", () => fc.stringMatching(/^[a-z!#$%&'()+,./:;<=>?@[\]^_`{|}~-][a-z0-9!#$%&'()+,./:;<=>?@[\]^_`{|}~ -]{0,30}$/)),
  ifMatch("a negative If-Match", () => fc.integer({ min: -SAFE_INT, max: -1 }).map((v) => `"${v}"`)),
  ifMatch("an If-Match of 16 digits or more", () => fc.stringMatching(/^[1-9][0-9]{15,40}$/).map((v) => `"${v}"`)),
  ifMatch("a list of versions in If-Match", (now) => fc.integer({ min: 0, max: now + 5 }).map((v) => `"${now}", "${v}"`)),
  ifMatch("a weak ETag that is not a version", () => fc.stringMatching(/^[a-z]{1,10}$/).map((v) => `W/"${v}"`)),
];

/** A valid request whose rollout id in the URL is one of `ids` (already URL-encoded as needed). */
function badId(name: string, ids: fc.Arbitrary<string>, appliesTo = perRollout): BadInputKind {
  return { name, appliesTo, request: (e, t) => ids.map((id) => request(e, t, { path: e.path(id), body: e.readsBody ? validText(e, t) : undefined })) };
}

const pushesSignal = (e: Endpoint) => e.name.includes("/signals/");

/** A valid push to a signal name that is not a name, or one no check of the target reads. */
const signalNames: BadInputKind = {
  name: "a signal name that is not a slug, or that no check reads",
  appliesTo: pushesSignal,
  request: (e, t) =>
    fc
      .constantFrom("Smoke", "a%20b", "_x", "x".repeat(65), "%00", "caf%C3%A9", "smoke-typo", "fuzz-signal")
      .map((name) => request(e, t, { path: `/rollouts/${t.id}/signals/${name}`, body: validText(e, t) })),
};

const ids: BadInputKind[] = [
  badId("an id with upper-case letters", fc.stringMatching(/^[a-z]{0,5}[A-Z][a-zA-Z]{0,5}$/)),
  badId("an id with an underscore, a dot or a space", fc.constantFrom("a_b", "a.b", "a%20b", "a+b", "~a")),
  badId(
    "an id of 65 to 5,000 characters",
    fc.integer({ min: 65, max: 5000 }).map((n) => "a".repeat(n)),
  ),
  badId("an id starting with a dash", fc.stringMatching(/^-[a-z0-9-]{0,10}$/)),
  // Not "%2E%2E": the URL parser resolves it as ".." before the router sees the path (…/rollouts/%2E%2E/kill is POST /kill).
  badId("an encoded slash in the id", fc.constantFrom("a%2Fb", "..%2Fdefault", "%2F", "%2Fdefault")),
  badId("an encoded NUL or control character in the id", fc.constantFrom("%00", "a%00b", "%0A", "a%0D%0Ab")),
  badId("malformed percent-encoding in the id", fc.constantFrom("%E0%A4%A", "%", "a%zz", "%C0%AF")),
  badId("a non-ASCII id", fc.constantFrom("café", "ロールアウト", "a\u200bb", "%F0%9F%98%80")),
  badId("__proto__ as the id", fc.constantFrom("__proto__", "__proto__%2F")),
  badId("constructor or prototype as the id (valid, unknown)", fc.constantFrom("constructor", "prototype", "hasownproperty"), refusesUnknownId),
  badId("an unknown id", fc.stringMatching(/^zz-[a-z0-9]{1,20}$/), refusesUnknownId),
  badId("an empty id segment", fc.constant("")),
];

/** A valid request with `headers` changed. */
function withHeaders(name: string, headers: fc.Arbitrary<Record<string, string | undefined>>): BadInputKind {
  return { name, appliesTo: all, request: (e, t) => headers.map((h) => request(e, t, { body: e.readsBody ? validText(e, t) : undefined, headers: h })) };
}

const credentials: BadInputKind[] = [
  withHeaders("no Authorization header", fc.constant({ authorization: undefined })),
  withHeaders(
    "a wrong bearer token",
    fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,80}$/).map((token) => ({ authorization: `Bearer ${token}` })),
  ),
  withHeaders(
    "a non-bearer scheme",
    fc.constantFrom("Basic dGVzdDp0ZXN0", "Token test-admin-token", "test-admin-token", "Bearer", "Bearer  ").map((a) => ({ authorization: a })),
  ),
  withHeaders(
    "an X-Actor with characters outside the allowed set",
    fc.constantFrom("<script>", "a;b", "a\tb", '"quoted"', "ä").map((actor) => ({ "x-actor": actor })),
  ),
  withHeaders(
    "an X-Actor over 100 characters",
    fc.integer({ min: 101, max: 2000 }).map((n) => ({ "x-actor": "a".repeat(n) })),
  ),
];

const isSegmentEndpoint = (e: Endpoint) => e.name.includes("/segments/");

/** A valid request to a segment endpoint whose name in the URL is one of `names`. */
function badSegmentName(name: string, names: fc.Arbitrary<string>): BadInputKind {
  return { name, appliesTo: isSegmentEndpoint, request: (e, t) => names.map((n) => request(e, t, { path: `/segments/${n}`, body: e.readsBody ? validText(e, t) : undefined })) };
}

const segmentNames: BadInputKind[] = [
  badSegmentName("a segment name that is not a slug", fc.constantFrom("Beta", "beta_testers", "a.b", "-beta", "a%20b", "%2F", "caf%C3%A9", "a".repeat(65))),
  {
    name: "a delete of a segment that a rollout's rules use",
    appliesTo: (e) => isSegmentEndpoint(e) && e.method === "DELETE",
    request: (e, t) => fc.constant(request(e, t, { headers: { "if-match": `"${t.segmentVersion}"` } })),
  },
];

export const REQUEST_KINDS: BadInputKind[] = [...ifMatches, ...ids, signalNames, ...credentials, ...segmentNames];
