/**
 * External metric providers: the request each check sends and how its answer becomes one value.
 * `buildRequest` and `parseResult` are pure; `pollCheck` does the fetch with an injected `fetch`
 * and never throws, so one broken provider cannot stop an alarm.
 */
import type { DatadogCheck, ExternalCheck, WebCheck } from "../../../contracts/external";
import { valueAt } from "../../../contracts/json-pointer";

/** What a request needs besides the check: the rollout, the worker's vars (for keys), the clock. */
export interface PollContext {
  rolloutId: string;
  vars: Readonly<Record<string, string | undefined>>;
  /** Epoch milliseconds. */
  now: number;
}

export type BuiltRequest = { url: string; init: RequestInit } | { error: string };
/** One poll's outcome: a value to judge against the limits, or why there is none. */
export type CheckResult = { ok: true; value: number | boolean } | { ok: false; error: string };

/** Answers larger than this are refused unread: a metric answer is a few hundred bytes. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

const fail = (error: string): CheckResult => ({ ok: false, error });
const trimSlash = (url: string) => url.replace(/\/+$/, "");

/** The query with `{{rollout}}` and `{{variant}}` replaced (rollout ids are slugs: safe in PromQL and Datadog strings). */
export function fillPlaceholders(query: string, rolloutId: string, variant: "new" | "legacy"): string {
  return query.replaceAll("{{rollout}}", rolloutId).replaceAll("{{variant}}", variant);
}

function requireVar(ctx: PollContext, name: string, what: string): string | { error: string } {
  const value = ctx.vars[name];
  return value ? value : { error: `${what}: the var ${name} is not set (wrangler secret put ${name})` };
}

/** The API host of a Datadog site: `api.` + the site, `app.` dropped; a full URL is used as is (tests). */
export function datadogBase(site: string): string {
  return /^https?:\/\//.test(site) ? trimSlash(site) : `https://api.${site.replace(/^app\./, "")}`;
}

/** The request a polled check sends, or why it cannot be sent (a missing key names its var). */
export function buildRequest(check: ExternalCheck, ctx: PollContext): BuiltRequest {
  const accept = { accept: "application/json" };
  switch (check.provider) {
    // https://prometheus.io/docs/prometheus/latest/querying/api/ "Instant queries": GET /api/v1/query?query=
    case "prometheus": {
      const query = encodeURIComponent(fillPlaceholders(check.query, ctx.rolloutId, check.variant));
      return { url: `${trimSlash(check.url)}/api/v1/query?query=${query}`, init: { method: "GET", headers: accept } };
    }
    // https://docs.datadoghq.com/api/latest/metrics/query-timeseries-points/ (v1): from/to in epoch seconds
    case "datadog": {
      const apiKey = requireVar(ctx, check.apiKeyVar, "Datadog API key (apiKeyVar)");
      if (typeof apiKey !== "string") return apiKey;
      const appKey = requireVar(ctx, check.appKeyVar, "Datadog application key (appKeyVar)");
      if (typeof appKey !== "string") return appKey;
      const to = Math.floor(ctx.now / 1000);
      const query = encodeURIComponent(fillPlaceholders(check.query, ctx.rolloutId, check.variant));
      const url = `${datadogBase(check.site)}/api/v1/query?from=${to - check.fromSeconds}&to=${to}&query=${query}`;
      return { url, init: { method: "GET", headers: { ...accept, "DD-API-KEY": apiKey, "DD-APPLICATION-KEY": appKey } } };
    }
    case "web": {
      const headers: Record<string, string> = { ...accept };
      for (const [name, value] of Object.entries(check.headers ?? {})) {
        const resolved = typeof value === "string" ? value : requireVar(ctx, value.fromVar, `header ${name} (fromVar)`);
        if (typeof resolved !== "string") return resolved;
        headers[name] = resolved;
      }
      return { url: check.url, init: { method: "GET", headers } };
    }
    case "signal":
      return { error: "signal checks are pushed to the router, not polled" };
  }
}

function parseJson(body: string): { ok: true; doc: unknown } | { ok: false } {
  try {
    return { ok: true, doc: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const excerpt = (body: string) => JSON.stringify(body.length > 80 ? body.slice(0, 80) + "…" : body);

/** A Prometheus sample value: a JSON string, with NaN and ±Inf spelled out (Go's float formatting). */
function sampleValue(raw: unknown): CheckResult {
  if (raw === "+Inf" || raw === "Inf") return { ok: true, value: Infinity };
  if (raw === "-Inf") return { ok: true, value: -Infinity };
  if (raw === "NaN") return fail("the query's value is NaN (a ratio over no traffic gives 0/0)");
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  return Number.isNaN(value) ? fail(`the sample value ${JSON.stringify(raw)} is not a number`) : { ok: true, value };
}

/**
 * https://prometheus.io/docs/prometheus/latest/querying/api/ "Format overview" and "Expression query
 * result formats": `{"status":"success","data":{"resultType":"vector","result":[{"metric":{…},"value":[ts,"1"]}]}}`,
 * a scalar's result is `[ts, "1"]`; errors carry `errorType` and `error` (HTTP 400, 422, 503).
 */
function parsePrometheus(status: number, body: string): CheckResult {
  const parsed = parseJson(body);
  if (!parsed.ok || !isObject(parsed.doc)) return fail(`Prometheus answered HTTP ${status} with a body that is not a JSON object: ${excerpt(body)}`);
  const doc = parsed.doc;
  if (doc.status === "error") return fail(`Prometheus refused the query (HTTP ${status}, ${String(doc.errorType)}): ${String(doc.error)}`);
  if (status < 200 || status > 299) return fail(`Prometheus answered HTTP ${status}`);
  const data = doc.data;
  if (doc.status !== "success" || !isObject(data)) return fail('the answer is not a Prometheus query result (no status "success" with data)');
  if (data.resultType === "scalar") return Array.isArray(data.result) ? sampleValue(data.result[1]) : fail("the scalar result is malformed");
  if (data.resultType !== "vector") return fail(`the query returned a ${String(data.resultType)}; it must return one sample or a scalar (an instant query, no range selector)`);
  const result = Array.isArray(data.result) ? data.result : [];
  if (result.length !== 1) {
    return fail(
      result.length === 0 ? "the query returned no series (no data)" : `the query returned ${result.length} series; it must return exactly one (aggregate it, e.g. sum(...))`,
    );
  }
  const sample = result[0];
  return isObject(sample) && Array.isArray(sample.value) ? sampleValue(sample.value[1]) : fail("the vector sample is malformed");
}

/**
 * https://docs.datadoghq.com/api/latest/metrics/query-timeseries-points/ (v1): `{"status":"ok",
 * "series":[{"pointlist":[[ms, value|null], …], …}]}`; `status` "error" with `error`; HTTP errors as `{"errors":[…]}`.
 */
function parseDatadog(check: DatadogCheck, status: number, body: string): CheckResult {
  const parsed = parseJson(body);
  if (!parsed.ok || !isObject(parsed.doc)) return fail(`Datadog answered HTTP ${status} with a body that is not a JSON object: ${excerpt(body)}`);
  const doc = parsed.doc;
  if (status < 200 || status > 299) return fail(`Datadog answered HTTP ${status}${Array.isArray(doc.errors) ? `: ${doc.errors.join("; ")}` : ""}`);
  if (doc.status === "error") return fail(`Datadog refused the query: ${String(doc.error)}`);
  const series = Array.isArray(doc.series) ? doc.series : [];
  if (series.length !== 1) {
    return fail(
      series.length === 0
        ? `the query returned no series (no data in the last ${check.fromSeconds} s)`
        : `the query returned ${series.length} series; it must return exactly one (drop the "by {…}" grouping)`,
    );
  }
  const points = isObject(series[0]) && Array.isArray(series[0].pointlist) ? series[0].pointlist : [];
  for (let i = points.length - 1; i >= 0; i--) {
    const point = points[i];
    if (Array.isArray(point) && typeof point[1] === "number" && Number.isFinite(point[1])) return { ok: true, value: point[1] };
  }
  return fail(`the series has no point with a value in the last ${check.fromSeconds} s`);
}

function parseWeb(check: WebCheck, status: number, body: string): CheckResult {
  if (status < 200 || status > 299) return fail(`the endpoint answered HTTP ${status}`);
  const parsed = parseJson(body);
  if (!parsed.ok) return fail(`the endpoint's answer is not JSON: ${excerpt(body)}`);
  const value = valueAt(parsed.doc, check.jsonPointer);
  const at = check.jsonPointer === "" ? "the whole answer" : check.jsonPointer;
  if (value === undefined) return fail(`nothing at ${at} in the endpoint's answer`);
  if (typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) return { ok: true, value };
  return fail(`the value at ${at} is ${JSON.stringify(value)?.slice(0, 80)}, not a number or true/false`);
}

/** One answer (status and body) → the check's value, or why there is none. */
export function parseResult(check: ExternalCheck, status: number, bodyText: string): CheckResult {
  switch (check.provider) {
    case "prometheus":
      return parsePrometheus(status, bodyText);
    case "datadog":
      return parseDatadog(check, status, bodyText);
    case "web":
      return parseWeb(check, status, bodyText);
    case "signal":
      return fail("signal checks are pushed to the router, not polled");
  }
}

/** The body as text, or `undefined` past `maxBytes` (read in chunks, so a huge answer is never held whole). */
async function readCapped(response: Response, maxBytes: number): Promise<string | undefined> {
  if (Number(response.headers.get("content-length") ?? 0) > maxBytes) return undefined;
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** A fetch that threw, in words: a timeout, or the error with its system code (ECONNREFUSED…). */
export function describeFetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error && isObject(error.cause) && typeof error.cause.code === "string" ? ` (${error.cause.code})` : "";
  return `the request failed: ${error instanceof Error ? error.message : String(error)}${cause}`;
}

/**
 * Polls one check: builds the request, fetches it (redirects are not followed: an admin points the
 * check at the final address), parses the answer. Never throws.
 */
export async function pollCheck(check: ExternalCheck, ctx: PollContext, fetcher: typeof fetch, timeoutMs: number): Promise<CheckResult> {
  const built = buildRequest(check, ctx);
  if ("error" in built) return fail(built.error);
  try {
    const response = await fetcher(built.url, { ...built.init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      return fail(
        `the ${check.provider} URL answered with a redirect (HTTP ${response.status}${response.headers.get("location") ? ` to ${response.headers.get("location")}` : ""}); configure the final address`,
      );
    }
    const body = await readCapped(response, MAX_ANSWER_BYTES);
    if (body === undefined) return fail(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    return parseResult(check, response.status, body);
  } catch (error) {
    return fail(describeFetchFailure(error, timeoutMs));
  }
}
