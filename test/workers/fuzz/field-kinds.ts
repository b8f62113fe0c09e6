/**
 * Bad members inside an otherwise valid body: wrong types per field, out-of-range numbers,
 * numbers JSON cannot hold, bad origins, matches, allowlists, stickiness sources and stages.
 * On the endpoints that do not know the field it is an unknown member, which is refused too.
 */
import fc from "fast-check";
import { type BadInputKind, type Endpoint, FUZZ_RULES, FUZZ_WEBHOOK, readsBody, request, type Target, withMember } from "./endpoints";

const FUZZ_STAGES_10 = [{ percent: 10, holdSeconds: 30 * 24 * 3600 }];

/** A kind that adds `members(value)` to the endpoint's valid body (`byEndpoint`, when given, instead). */
function members<T>(
  name: string,
  values: fc.Arbitrary<T>,
  add: (value: T, t: Target) => Record<string, unknown>,
  byEndpoint?: (value: T, e: Endpoint) => Record<string, unknown>,
): BadInputKind {
  return {
    name,
    appliesTo: readsBody,
    request: (e, t) => values.map((v) => request(e, t, { body: JSON.stringify({ ...e.valid(t), ...(byEndpoint ? byEndpoint(v, e) : add(v, t)) }) })),
  };
}

/** A kind that adds `"field":<text>` to the valid body as raw JSON text (for numbers JSON.stringify cannot write). */
function rawMember(name: string, field: string, texts: fc.Arbitrary<string>): BadInputKind {
  return {
    name,
    appliesTo: readsBody,
    request: (e, t) => texts.map((x) => request(e, t, { body: withMember(e.valid(t), field, x) })),
  };
}

const str = fc.string({ maxLength: 20 });
const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const arr = fc.array(fc.integer(), { maxLength: 3 });
const obj = fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.integer(), { maxKeys: 3 });
const bool = fc.boolean();

/** Everything but a number, an object, an array, a boolean, a string (never `null`: in a PATCH it removes the field). */
const notNumber = fc.oneof(str, bool, arr, obj);
const notObject = fc.oneof(str, num, bool, arr);
const notArray = fc.oneof(str, num, bool, obj);
const notBoolean = fc.oneof(str, num, arr, obj);
const notString = fc.oneof(num, bool, arr, obj);

const wrongType = (field: string, values: fc.Arbitrary<unknown>) => members(`a wrong type for ${field}`, values, (v) => ({ [field]: v }));

const wrongTypes: BadInputKind[] = [
  wrongType("percent", notNumber),
  wrongType("timeoutMs", notNumber),
  wrongType("ttlSeconds", notNumber),
  wrongType("origins", notObject),
  wrongType("match", notObject),
  wrongType("allowlist", notObject),
  wrongType("guard", notObject),
  wrongType("stickiness", notArray),
  wrongType("stages", notArray),
  wrongType("killed", notBoolean),
  wrongType("retryOnLegacy", notBoolean),
  wrongType("description", notString),
  wrongType("salt", notString),
  wrongType("reason", notString),
  wrongType(
    "variant",
    fc.oneof(
      notString,
      str.filter((s) => s !== "new" && s !== "legacy"),
    ),
  ),
];

const SAFE = Number.MAX_SAFE_INTEGER;

const ranges: BadInputKind[] = [
  members("a percent above 100", fc.double({ min: 100.001, max: 1e308, noNaN: true }), (p) => ({ percent: p })),
  members("a negative percent", fc.double({ min: -1e308, max: -0.001, noNaN: true }), (p) => ({ percent: p })),
  members("a percent finer than 0.01", fc.integer({ min: 0, max: 9999 }), (n) => ({ percent: n / 100 + 0.004 })),
  members("a timeout under 100 ms", fc.integer({ min: -SAFE, max: 99 }), (n) => ({ timeoutMs: n })),
  members("a timeout over 300,000 ms", fc.integer({ min: 300_001, max: SAFE }), (n) => ({ timeoutMs: n })),
  members("a fractional timeout", fc.integer({ min: 100, max: 299_999 }), (n) => ({ timeoutMs: n + 0.5 })),
  members("an override TTL out of range", fc.oneof(fc.integer({ min: -SAFE, max: 59 }), fc.integer({ min: 7 * 24 * 3600 + 1, max: SAFE })), (n) => ({ ttlSeconds: n })),
  members("a fractional override TTL", fc.integer({ min: 60, max: 3600 }), (n) => ({ ttlSeconds: n + 0.25 })),
  members("a stage with a negative hold", fc.integer({ min: -SAFE, max: -1 }), (n) => ({ stages: [{ percent: 10, holdSeconds: n }] })),
  members("stage percentages that do not increase", fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 100 })), ([a, b]) => ({
    stages: [
      { percent: a, holdSeconds: 60 },
      { percent: Math.min(a, b), holdSeconds: 60 },
    ],
  })),
  members("more than 20 stages", fc.integer({ min: 21, max: 60 }), (n) => ({ stages: Array.from({ length: n }, (_, i) => ({ percent: i + 1, holdSeconds: 60 })) })),
  members("an empty stage list", fc.constant(null), () => ({ stages: [] })),
  members("a guard error rate above 1", fc.double({ min: 1.0001, max: 1e9, noNaN: true }), (r) => ({ guard: { maxErrorRate: r } })),
  members("a guard window under 10 s", fc.integer({ min: -SAFE, max: 9 }), (n) => ({ guard: { windowSeconds: n } })),
  members(
    "a hash version other than 1",
    fc.integer().filter((n) => n !== 1),
    (n) => ({ hashVersion: n }),
  ),
];

/** The fields of approvals, schedules, relative and warning guards, and webhooks. */
const plans: BadInputKind[] = [
  wrongType("schedule", notObject),
  wrongType("webhooks", notArray),
  members("a stage whose requiresApproval is not a boolean", notBoolean, (v) => ({ stages: [{ percent: 10, holdSeconds: 60, requiresApproval: v }] })),
  members("a guard ratio below 1", fc.double({ min: -1e9, max: 0.999, noNaN: true }), (r) => ({ guard: { maxP95Ratio: r } })),
  members("a guard warning at or above its own limit", fc.double({ min: 0.05, max: 1, noNaN: true }), (w) => ({ guard: { maxErrorRate: 0.05, warn: { maxErrorRate: w } } })),
  members("an advance window in an unknown or fixed-offset zone", fc.constantFrom("Mars/Olympus", "+01:00", "CEST", ""), (timeZone) => ({
    schedule: { advanceWindows: [{ days: ["mon"], from: "22:00", to: "06:00", timeZone }] },
  })),
  members("a schedule start without a zone or not a date", fc.constantFrom("2031-01-01T00:00:00", "tomorrow", "2031-13-01T00:00:00Z"), (startAt) => ({ schedule: { startAt } })),
  members(
    "a webhook with a bad URL, event or secret",
    fc.constantFrom(
      { url: "ftp://hooks.example.com/x" },
      { url: "https://u:p@hooks.example.com/" },
      { events: ["explode"] },
      { events: [] },
      { secret: "short" },
      { id: "Not_A_Slug" },
    ),
    (bad) => ({ webhooks: [{ ...FUZZ_WEBHOOK, ...bad }] }),
  ),
  members("a new webhook without a secret, or two with one id", fc.boolean(), (twice) => ({
    webhooks: twice ? [FUZZ_WEBHOOK, FUZZ_WEBHOOK] : [{ id: "never-stored", url: FUZZ_WEBHOOK.url, events: ["kill"] }],
  })),
];

/** The fields of external checks, probes and pushed signals. */
const external: BadInputKind[] = [
  members("a signal value that is not a number or true/false", fc.oneof(str, arr, obj), (v) => ({ value: v })),
  members("a signal time that is not ISO-8601 with a zone", fc.constantFrom("yesterday", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "1700000000"), (at) => ({ at })),
  members("a signal note over 500 characters", fc.integer({ min: 501, max: 5000 }), (n) => ({ note: "n".repeat(n) })),
  members(
    "an external check without a limit, of an unknown provider, or naming a router secret",
    fc.constantFrom(
      { name: "q", provider: "prometheus", url: "http://prom:9090", query: "up" },
      { name: "q", provider: "graphite", url: "http://g", query: "x", max: 1 },
      { name: "q", provider: "datadog", site: "datadoghq.com", query: "x", apiKeyVar: "ADMIN_TOKEN", appKeyVar: "DD_APP_KEY", max: 1 },
      { name: "q", provider: "web", url: "https://u:p@x.example/", jsonPointer: "/a", max: 1 },
      { name: "q", provider: "prometheus", url: "http://prom:9090", query: "{{secret}}", max: 1 },
    ),
    (check) => ({ guard: { external: [check] } }),
  ),
  members(
    "a probe with a bad path, method or a timeout beyond the alarm",
    fc.constantFrom({ path: "health" }, { method: "POST" }, { timeoutMs: 30_000 }, { variant: "both" }),
    (bad) => ({
      probes: [{ name: "p", variant: "new", path: "/health", ...bad }],
      stages: FUZZ_STAGES_10,
    }),
  ),
  members("a stage that requires probes without probes", fc.constant(null), () => ({ stages: [{ percent: 10, holdSeconds: 60, requireProbes: true }] })),
];

/**
 * A kind whose bad `condition` sits where the endpoint reads conditions: in a segment's `when`, or
 * in a rule of a rollout (elsewhere `rules` is an unknown member, refused too).
 */
function conditionKind(name: string, conditions: fc.Arbitrary<Record<string, unknown>>): BadInputKind {
  return members(
    name,
    conditions,
    () => ({}),
    (condition, e) => (e.name.includes("/segments/") ? { when: [condition] } : { rules: [{ name: "bad", when: [condition], variant: "new" }] }),
  );
}

/** Targeting rules and segment conditions. */
const rules: BadInputKind[] = [
  wrongType("rules", notArray),
  wrongType("when", notArray),
  members("a rule naming a segment that does not exist", fc.stringMatching(/^zz-[a-z0-9]{1,12}$/), (segment) => ({
    rules: [{ name: "ghost", when: [{ segment }], variant: "new" }],
  })),
  conditionKind(
    "a condition with two subjects, none, or an operator its subject does not take",
    fc.constantFrom<Record<string, unknown>>(
      { header: "a", cookie: "b", equals: "1" },
      { equals: "1" },
      { header: "a" },
      { claim: "role", in: ["x"] },
      { country: ["DE"], present: true },
      { header: "a", equals: 1 },
      { header: "a", present: false },
    ),
  ),
  members("a rule with both a variant and a percent, or neither", fc.boolean(), (both) => ({
    rules: [{ name: "bad", when: [{ header: "a", present: true }], ...(both ? { variant: "new", percent: 5 } : {}) }],
  })),
  members("two rules with one name", fc.constant(null), () => ({ rules: [...FUZZ_RULES, ...FUZZ_RULES] })),
  conditionKind(
    "a country or colo code in lower case or too long",
    fc.constantFrom<Record<string, unknown>>({ country: ["de"] }, { country: ["DEU"] }, { colo: ["fra"] }, { colo: ["FRANKFURT"] }),
  ),
  members("a segment that uses another segment", fc.constant(null), () => ({ when: [{ segment: "fuzz-beta" }] })),
];

const numbers: BadInputKind[] = [
  rawMember("a number beyond the double range (1e400)", "percent", fc.constantFrom("1e400", "-1e400", "1e309")),
  rawMember("an integer beyond 2^53", "timeoutMs", fc.stringMatching(/^[1-9][0-9]{16,40}$/)),
  members("a number sent as a string", fc.constantFrom("NaN", "Infinity", "-0", "1e2", "50", " 5", ""), (s) => ({ percent: s })),
];

const origins: BadInputKind[] = [
  members(
    "an origin that is not http or https",
    fc.constantFrom("ftp://x.example", "javascript:alert(1)", "file:///etc/passwd", "ws://x.example", "data:text/plain,x"),
    (o, t) => ({
      origins: { legacy: t.origins.legacy, new: o },
    }),
  ),
  members("an origin with credentials, a query or a fragment", fc.constantFrom("https://u:p@x.example", "https://x.example/?a=1", "https://x.example/#f"), (o, t) => ({
    origins: { legacy: o, new: t.origins.new },
  })),
  members("a relative origin", fc.constantFrom("new.example.com", "/new", "//new.example.com", ""), (o, t) => ({ origins: { legacy: t.origins.legacy, new: o } })),
  members("an origins object without new", fc.constant(null), (_, t) => ({ origins: { legacy: t.origins.legacy, new: null } })),
];

const matches: BadInputKind[] = [
  members("a path prefix without a leading slash", fc.stringMatching(/^[a-z]{1,12}$/), (p) => ({ match: { pathPrefixes: [p] } })),
  members("a path prefix with a space, ? or #", fc.constantFrom("/a b", "/a?b", "/a#b", "/\t"), (p) => ({ match: { pathPrefixes: [p] } })),
  members("a host in upper case, with a port or an underscore", fc.constantFrom("Example.com", "example.com:8080", "exa_mple.com", "*.*.example.com"), (h) => ({
    match: { hosts: [h], pathPrefixes: ["/fuzz-host"] },
  })),
  members("an empty path prefix list", fc.constant(null), () => ({ match: { pathPrefixes: [] } })),
  members("a match that overlaps another rollout", fc.constant(null), () => ({ match: { pathPrefixes: ["/"] } })),
];

const people: BadInputKind[] = [
  members("more than 10,000 allowlisted users", fc.integer({ min: 10_001, max: 12_000 }), (n) => ({ allowlist: { new: Array.from({ length: n }, (_, i) => `u${i}`) } })),
  members("an empty user id in the allowlist", fc.constantFrom("new", "legacy"), (side) => ({ allowlist: { [side]: [""] } })),
  members("a user id over 256 characters", fc.integer({ min: 257, max: 5000 }), (n) => ({ allowlist: { new: ["u".repeat(n)] } })),
  members("a stickiness source with both a header and a cookie", fc.constant(null), () => ({ stickiness: [{ header: "x-user-id", cookie: "uid" }] })),
  members("a stickiness header name that is not a token", fc.constantFrom("x user", "x:y", "", "é"), (h) => ({ stickiness: [{ header: h }] })),
  members("more than 10 stickiness sources", fc.integer({ min: 11, max: 30 }), (n) => ({ stickiness: Array.from({ length: n }, (_, i) => ({ header: `x-id-${i}` })) })),
  members("an id in the body that differs from the URL", fc.constantFrom("other-id", "Not_A_Slug", ""), (id) => ({ id })),
  // Not null: in a PATCH (a JSON merge patch) `"x": null` removes x, which is fine when there is no x.
  members(
    "an unknown member",
    fc.tuple(
      fc.stringMatching(/^[a-z]{1,12}$/),
      fc.jsonValue().filter((v) => v !== null),
    ),
    ([k, v]) => ({ [`zz${k}`]: v }),
  ),
  members("a misspelt member", fc.constantFrom("percentage", "Percent", "origin", "timeout", "ttl", "reasons"), (k) => ({ [k]: 1 })),
];

export const FIELD_KINDS: BadInputKind[] = [...wrongTypes, ...ranges, ...plans, ...external, ...rules, ...numbers, ...origins, ...matches, ...people];
