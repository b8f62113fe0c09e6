/**
 * Guards that see beyond the proxy: external metrics (Prometheus, Datadog, a JSON endpoint, values
 * pushed to the router) and synthetic probes. A Durable Object alarm polls them, never the request
 * path. The schemas are the contract; control/policy/external/ evaluates them. No I/O.
 *
 * Limits: every check has `max`, `min` or `equals`. A value above `max` or below `min` is a
 * failure; a boolean counts as 1 (true) or 0 (false) against `max`/`min`, so `max: 0` means "must
 * be false". `equals` (true or false) is the readable form for booleans; a number against `equals`
 * is an error, not a failure (the check is probably pointed at the wrong field).
 */
import { isPointer } from "./json-pointer";
import * as z from "./zod";
import { originUrlProblem, parseHttpUrl } from "./urls";

/** Most external checks per guard: each one is an outgoing request per interval. */
export const MAX_EXTERNAL_CHECKS = 20;
/** Most probes per rollout. */
export const MAX_PROBES = 20;
/** Pushed values kept per signal name (older ones are dropped). */
export const MAX_SIGNAL_VALUES = 100;
/** The router's own secrets: never sent to a metrics provider, whatever a check says. */
export const RESERVED_VARS = ["ADMIN_TOKEN", "OVERRIDE_SECRET", "CF_API_TOKEN"] as const;
/**
 * Longest an outgoing request of the alarm (a poll, a probe) may take: the alarm runs every 5 s
 * (control/policy/schedule.ts GUARD_INTERVAL_MS) and must be done before the next one is due.
 */
export const MAX_REQUEST_MS = 4000;
/** Placeholders a query may use, replaced before each poll. */
export const QUERY_PLACEHOLDERS = ["rollout", "variant"] as const;

const int = (min: number, max: number, unit: string) =>
  z.number().check(z.int(`must be a whole number of ${unit}`), z.gte(min, `must be at least ${min} ${unit}`), z.lte(max, `must be at most ${max} ${unit}`));

/** A check, probe or signal name: lowercase letters, digits, `_` and `-`, 1-64 characters. */
export const CheckName = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be a slug: lowercase letters, digits, '_' and '-', 1-64 characters, not starting with '_' or '-'"));
/** The name under which values are pushed to `POST …/signals/:name`. */
export const SignalName = CheckName;

/** The name of a worker var or secret holding a credential; the value never appears in config. */
export const VarName = z.string().check(
  z.regex(/^[A-Z][A-Z0-9_]{0,63}$/, "must be the name of a worker var or secret: uppercase letters, digits and '_', starting with a letter"),
  z.refine((name) => !(RESERVED_VARS as readonly string[]).includes(name), "names one of the router's own secrets, which are never sent to a metrics provider"),
);

const Query = z.string().check(
  z.minLength(1, "must not be empty"),
  z.maxLength(4000, "must be at most 4,000 characters"),
  z.superRefine((query, ctx) => {
    for (const [, inner] of query.matchAll(/\{\{([^{}]*)\}\}/g)) {
      if ((QUERY_PLACEHOLDERS as readonly string[]).includes(inner!)) continue;
      ctx.issues.push({ code: "custom", input: query, message: `unknown placeholder {{${inner}}}: only {{rollout}} and {{variant}} are replaced` });
    }
  }),
);

const problemCheck = (problem: (value: string) => string | undefined) =>
  z.superRefine((value: string, ctx) => {
    const message = problem(value);
    if (message) ctx.issues.push({ code: "custom", message, input: value });
  });

/** An http(s) URL that may carry a query (a JSON endpoint often needs one), never credentials. */
function webUrlProblem(value: string): string | undefined {
  const parsed = parseHttpUrl(value, ": put them in a header with fromVar");
  return "problem" in parsed ? parsed.problem : undefined;
}

/**
 * Datadog sites as the API reference lists them (docs.datadoghq.com/api/latest/metrics/query-timeseries-points):
 * the API host is `api.` + the site (`app.` dropped), e.g. us3.datadoghq.com → api.us3.datadoghq.com.
 */
const DATADOG_SITE = /^([a-z0-9-]+\.)?(datadoghq\.com|datadoghq\.eu|ddog-gov\.com)$/;
function datadogSiteProblem(value: string): string | undefined {
  if (DATADOG_SITE.test(value)) return undefined;
  if (/^https?:\/\//.test(value)) return originUrlProblem(value);
  return `must be a Datadog site such as datadoghq.com, datadoghq.eu or us3.datadoghq.com, or an http(s) base URL, got ${JSON.stringify(value)}`;
}

const HEADER_NAME_RULE = "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)";
const HeaderName = z.string().check(z.trim(), z.toLowerCase(), z.regex(/^[a-z0-9!#$%&'*+.^_`|~-]+$/, HEADER_NAME_RULE));
const HeaderValue = z.string().check(z.maxLength(4096, "must be at most 4,096 characters"), z.regex(/^[^\r\n\0]*$/, "must not contain line breaks"));
const MAX_HEADERS = 20;
const headerMap = <T extends z.ZodMiniType>(value: T) =>
  z
    .record(HeaderName, value, { error: (issue) => (issue.code === "invalid_key" ? `header ${HEADER_NAME_RULE}` : undefined) })
    .check(z.refine((headers) => Object.keys(headers).length <= MAX_HEADERS, `at most ${MAX_HEADERS} headers`));

const Limit = z.number();
const common = {
  name: CheckName,
  /** Words for the incident note, e.g. "celery queue depth". */
  description: z.optional(z.string().check(z.maxLength(200, "must be at most 200 characters"))),
  max: z.optional(Limit),
  min: z.optional(Limit),
  equals: z.optional(z.boolean()),
  /** Consecutive failures before the check counts as breached. @default 1 */
  failureLimit: z._default(int(1, 100, "failures"), 1),
};
const polled = {
  /** Seconds between polls. @default 30 */
  intervalSeconds: z._default(int(5, 3600, "seconds"), 30),
  /** Whether a failed poll (no answer, bad answer) is ignored or counts as a failure. @default "inconclusive" */
  onError: z._default(z.enum(["inconclusive", "breach"]), "inconclusive"),
};
const variant = z._default(z.enum(["new", "legacy"]), "new");

const limitsCheck = z.superRefine((c: { max?: number; min?: number; equals?: boolean }, ctx) => {
  const push = (path: string, message: string) => ctx.issues.push({ code: "custom", message, input: c, path: [path] });
  if (c.max === undefined && c.min === undefined && c.equals === undefined) push("max", "needs a limit: max, min, or equals (for a true/false value)");
  else if (c.equals !== undefined && (c.max !== undefined || c.min !== undefined)) push("equals", "cannot be combined with max or min");
  else if (c.max !== undefined && c.min !== undefined && c.min > c.max) push("min", `min ${c.min} is above max ${c.max}: no value could pass`);
});

/** `GET <url>/api/v1/query?query=…`: an instant query that must return one sample or a scalar. */
export const PrometheusCheckSchema = z
  .strictObject({ ...common, ...polled, provider: z.literal("prometheus"), url: z.string().check(problemCheck(originUrlProblem)), query: Query, variant })
  .check(limitsCheck);
/** Datadog's v1 timeseries query; the last non-null point of the single series counts. */
export const DatadogCheckSchema = z
  .strictObject({
    ...common,
    ...polled,
    provider: z.literal("datadog"),
    site: z.string().check(problemCheck(datadogSiteProblem)),
    query: Query,
    variant,
    apiKeyVar: VarName,
    appKeyVar: VarName,
    /** The query window ends now and starts this many seconds ago. @default 300 */
    fromSeconds: z._default(int(10, 86_400, "seconds"), 300),
  })
  .check(limitsCheck);
/** Any JSON endpoint: the number or boolean at `jsonPointer` counts. */
export const WebCheckSchema = z
  .strictObject({
    ...common,
    ...polled,
    provider: z.literal("web"),
    url: z.string().check(problemCheck(webUrlProblem)),
    headers: z.optional(headerMap(z.union([HeaderValue, z.strictObject({ fromVar: VarName })], { error: 'must be a string or { "fromVar": NAME }' }))),
    jsonPointer: z.string().check(z.refine(isPointer, "must be a JSON Pointer (RFC 6901) such as /queues/default/depth: empty or starting with '/'")),
  })
  .check(limitsCheck);
/** The latest value pushed to the router under the check's name; judged at every alarm. */
export const SignalCheckSchema = z
  .strictObject({
    ...common,
    provider: z.literal("signal"),
    /** With no value pushed for this long, the check is inconclusive. @default 300 */
    staleAfterSeconds: z._default(int(5, 86_400, "seconds"), 300),
  })
  .check(limitsCheck);

/**
 * One external check.
 *
 * @example { "name": "queue_depth", "provider": "prometheus", "url": "http://prometheus:9090",
 *   "query": "sum(celery_queue_length{rollout=\"{{rollout}}\"})", "max": 5000, "failureLimit": 2 }
 */
export const ExternalCheckSchema = z.discriminatedUnion("provider", [PrometheusCheckSchema, DatadogCheckSchema, WebCheckSchema, SignalCheckSchema], {
  error: "must be one of prometheus, datadog, web, signal",
});

/** Names must be unique within a list; the issue points at the second use. */
const uniqueNames = (what: string) =>
  z.superRefine((items: { name: string }[], ctx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.name))
        ctx.issues.push({ code: "custom", input: item.name, path: [i, "name"], message: `${what} ${JSON.stringify(item.name)} is used twice: names must be unique` });
      seen.add(item.name);
    });
  });

export const ExternalChecksSchema = z.array(ExternalCheckSchema).check(z.maxLength(MAX_EXTERNAL_CHECKS, `at most ${MAX_EXTERNAL_CHECKS} external checks`), uniqueNames("check"));

/**
 * A synthetic probe: a request the alarm sends straight to one origin, with `x-rollout-probe: <name>`.
 *
 * @example { "name": "checkout-page", "variant": "new", "path": "/checkout/health", "expectStatus": [200, 204] }
 */
export const ProbeSchema = z.strictObject({
  name: CheckName,
  variant: z.enum(["new", "legacy"]),
  path: z.string().check(z.maxLength(2048), z.regex(/^\/[^\s#]*$/, "must start with '/' and contain no spaces or '#'")),
  /** @default "GET" */
  method: z._default(z.enum(["GET", "HEAD"]), "GET"),
  headers: z.optional(headerMap(HeaderValue)),
  /** @default [200] */
  expectStatus: z._default(z.array(int(100, 599, "(an HTTP status)")).check(z.minLength(1, "needs at least one status"), z.maxLength(20)), [200]),
  /** @default 15 */
  intervalSeconds: z._default(int(5, 3600, "seconds"), 15),
  /** At most MAX_REQUEST_MS: probes run inside the alarm. @default 2000 */
  timeoutMs: z._default(int(100, MAX_REQUEST_MS, "ms (probes run inside the 5-second alarm)"), 2000),
  /** Consecutive failures that count as a breach, and passes a `requireProbes` stage needs. @default 3 */
  failureThreshold: z._default(int(1, 100, "runs"), 3),
});

export const ProbesSchema = z.array(ProbeSchema).check(z.maxLength(MAX_PROBES, `at most ${MAX_PROBES} probes`), uniqueNames("probe"));

/**
 * Body of `POST …/signals/:name`: a value a deploy script, a CI job or a person pushes.
 *
 * @example { "value": 0.2, "note": "smoke tests: 1 of 5 failed" }
 */
export const SignalPushSchema = z.strictObject({
  value: z.union([z.number(), z.boolean()], { error: "must be a number or true/false" }),
  /** When the value was measured; the router's clock when absent. */
  at: z.optional(z.iso.datetime({ offset: true, error: "must be an ISO-8601 time such as 2025-01-31T12:00:00Z" })),
  note: z.optional(z.string().check(z.maxLength(500, "must be at most 500 characters"))),
});

export type ExternalCheck = z.infer<typeof ExternalCheckSchema>;
export type ExternalCheckInput = z.input<typeof ExternalCheckSchema>;
export type PrometheusCheck = z.infer<typeof PrometheusCheckSchema>;
export type DatadogCheck = z.infer<typeof DatadogCheckSchema>;
export type WebCheck = z.infer<typeof WebCheckSchema>;
export type SignalCheck = z.infer<typeof SignalCheckSchema>;
/** A check the alarm fetches (everything but pushed signals). */
export type PolledCheck = Exclude<ExternalCheck, SignalCheck>;
export type Probe = z.infer<typeof ProbeSchema>;
export type ProbeInput = z.input<typeof ProbeSchema>;
export type SignalPush = z.infer<typeof SignalPushSchema>;
