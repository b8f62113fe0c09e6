import { describe, expect, it } from "vitest";
import { ExternalCheckSchema, type ExternalCheck, type ExternalCheckInput } from "../../contracts/external";
import { buildRequest, datadogBase, parseResult, type PollContext } from "../../control/policy/external/providers";

const check = (input: ExternalCheckInput): ExternalCheck => ExternalCheckSchema.parse(input);
const NOW = Date.parse("2025-03-01T12:00:00Z");
const ctx = (vars: Record<string, string | undefined> = {}): PollContext => ({ rolloutId: "checkout-v2", vars, now: NOW });

const prom = check({
  name: "q",
  provider: "prometheus",
  url: "http://prom.internal:9090/prom/",
  query: 'sum(rate(http_errors{rollout="{{rollout}}", variant=~"{{variant}}|x"}[5m])) / 2 + 1',
  max: 1,
});
const dd = check({
  name: "d",
  provider: "datadog",
  site: "us3.datadoghq.com",
  query: "avg:trace.errors{rollout:{{rollout}},variant:{{variant}}} by {host}",
  apiKeyVar: "DD_API_KEY",
  appKeyVar: "DD_APP_KEY",
  max: 1,
  variant: "legacy",
  fromSeconds: 600,
});
const web = check({
  name: "w",
  provider: "web",
  url: "https://status.example.com/q?a=1",
  headers: { Authorization: { fromVar: "STATUS_TOKEN" }, "x-static": "yes" },
  jsonPointer: "/queues/0/depth",
  max: 10,
});

function built(c: ExternalCheck, context: PollContext) {
  const request = buildRequest(c, context);
  if ("error" in request) throw new Error(request.error);
  return { url: new URL(request.url), headers: new Headers(request.init.headers), method: request.init.method };
}

describe("building requests", () => {
  it("sends Prometheus the query with placeholders replaced, intact after URL decoding", () => {
    const { url, method } = built(prom, ctx());
    expect(method).toBe("GET");
    expect(url.origin + url.pathname).toBe("http://prom.internal:9090/prom/api/v1/query");
    expect(url.searchParams.get("query")).toBe('sum(rate(http_errors{rollout="checkout-v2", variant=~"new|x"}[5m])) / 2 + 1');
    // A raw "+" in the query string would decode as a space.
    expect(url.search).not.toMatch(/[ "{}+]/);
  });

  it("asks Datadog for the window ending now, with both keys from the named vars", () => {
    const { url, headers } = built(dd, ctx({ DD_API_KEY: "api-123", DD_APP_KEY: "app-456" }));
    expect(url.origin + url.pathname).toBe("https://api.us3.datadoghq.com/api/v1/query");
    expect(Number(url.searchParams.get("to"))).toBe(NOW / 1000);
    expect(Number(url.searchParams.get("from"))).toBe(NOW / 1000 - 600);
    expect(url.searchParams.get("query")).toBe("avg:trace.errors{rollout:checkout-v2,variant:legacy} by {host}");
    expect(headers.get("dd-api-key")).toBe("api-123");
    expect(headers.get("dd-application-key")).toBe("app-456");
  });

  it("names the missing Datadog key var instead of sending a request", () => {
    expect(buildRequest(dd, ctx({ DD_API_KEY: "api-123" }))).toEqual({ error: expect.stringContaining("the var DD_APP_KEY is not set") });
    expect(buildRequest(dd, ctx({ DD_API_KEY: "", DD_APP_KEY: "x" }))).toEqual({ error: expect.stringContaining("the var DD_API_KEY is not set") });
  });

  it("maps Datadog sites to their API hosts", () => {
    expect(datadogBase("datadoghq.com")).toBe("https://api.datadoghq.com");
    expect(datadogBase("app.datadoghq.eu")).toBe("https://api.datadoghq.eu");
    expect(datadogBase("http://127.0.0.1:1234/")).toBe("http://127.0.0.1:1234");
  });

  it("resolves a web check's header from its var, and names the var when it is missing", () => {
    const { url, headers } = built(web, ctx({ STATUS_TOKEN: "Bearer s3cret" }));
    expect(url.href).toBe("https://status.example.com/q?a=1");
    expect(headers.get("authorization")).toBe("Bearer s3cret");
    expect(headers.get("x-static")).toBe("yes");
    expect(buildRequest(web, ctx())).toEqual({ error: expect.stringContaining("the var STATUS_TOKEN is not set") });
  });

  it("refuses to poll a pushed signal", () => {
    expect(buildRequest(check({ name: "s", provider: "signal", max: 1 }), ctx())).toHaveProperty("error");
  });
});

const vector = (...values: string[]) =>
  JSON.stringify({ status: "success", data: { resultType: "vector", result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1740830400.1, v] })) } });

describe("parsing Prometheus answers", () => {
  it("reads the single sample of a vector and a scalar", () => {
    expect(parseResult(prom, 200, vector("5400"))).toEqual({ ok: true, value: 5400 });
    expect(parseResult(prom, 200, JSON.stringify({ status: "success", data: { resultType: "scalar", result: [1740830400, "0.25"] } }))).toEqual({ ok: true, value: 0.25 });
  });

  it("refuses an empty vector and a vector of two samples, saying how many", () => {
    expect(parseResult(prom, 200, vector())).toEqual({ ok: false, error: "the query returned no series (no data)" });
    expect(parseResult(prom, 200, vector("1", "2"))).toEqual({ ok: false, error: expect.stringContaining("returned 2 series") });
  });

  it("treats NaN as no value and ±Inf as values", () => {
    expect(parseResult(prom, 200, vector("NaN"))).toEqual({ ok: false, error: expect.stringContaining("NaN") });
    expect(parseResult(prom, 200, vector("+Inf"))).toEqual({ ok: true, value: Infinity });
    expect(parseResult(prom, 200, vector("-Inf"))).toEqual({ ok: true, value: -Infinity });
    expect(parseResult(prom, 200, vector(""))).toMatchObject({ ok: false });
    expect(parseResult(prom, 200, vector("12abc"))).toMatchObject({ ok: false });
  });

  it("reports Prometheus's own error with its type", () => {
    const body = JSON.stringify({ status: "error", errorType: "bad_data", error: 'parse error: unexpected "}"' });
    expect(parseResult(prom, 400, body)).toEqual({ ok: false, error: 'Prometheus refused the query (HTTP 400, bad_data): parse error: unexpected "}"' });
  });

  it("reports a body that is not JSON, and a range result", () => {
    expect(parseResult(prom, 502, "<html>Bad Gateway</html>")).toEqual({
      ok: false,
      error: expect.stringMatching(/^Prometheus answered HTTP 502 with a body that is not a JSON object/),
    });
    expect(parseResult(prom, 200, JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } }))).toEqual({
      ok: false,
      error: expect.stringContaining("returned a matrix"),
    });
  });
});

const ddBody = (...pointlists: Array<Array<[number, number | null]>>) =>
  JSON.stringify({ status: "ok", res_type: "time_series", series: pointlists.map((pointlist) => ({ metric: "m", scope: "*", pointlist })) });

describe("parsing Datadog answers", () => {
  it("takes the last non-null point of the single series", () => {
    expect(
      parseResult(
        dd,
        200,
        ddBody([
          [1, 0.01],
          [2, 0.07],
          [3, null],
        ]),
      ),
    ).toEqual({ ok: true, value: 0.07 });
  });

  it("refuses two series, no series, and a series without values", () => {
    expect(parseResult(dd, 200, ddBody([[1, 1]], [[1, 2]]))).toEqual({ ok: false, error: expect.stringContaining("returned 2 series") });
    expect(parseResult(dd, 200, ddBody())).toEqual({ ok: false, error: "the query returned no series (no data in the last 600 s)" });
    expect(parseResult(dd, 200, ddBody([[1, null]]))).toEqual({ ok: false, error: expect.stringContaining("no point with a value") });
  });

  it("reports a query error and an HTTP error with Datadog's message", () => {
    expect(parseResult(dd, 200, JSON.stringify({ status: "error", error: "Rule 'no_such_fn' does not exist" }))).toEqual({
      ok: false,
      error: "Datadog refused the query: Rule 'no_such_fn' does not exist",
    });
    expect(parseResult(dd, 403, JSON.stringify({ errors: ["Forbidden"] }))).toEqual({ ok: false, error: "Datadog answered HTTP 403: Forbidden" });
    expect(parseResult(dd, 200, "not json")).toMatchObject({ ok: false });
  });
});

describe("parsing web answers", () => {
  it("takes the number or boolean at the JSON pointer", () => {
    expect(parseResult(web, 200, JSON.stringify({ queues: [{ depth: 12 }] }))).toEqual({ ok: true, value: 12 });
    const flag = check({ name: "f", provider: "web", url: "https://x.test/", jsonPointer: "/a~1b", equals: true });
    expect(parseResult(flag, 200, JSON.stringify({ "a/b": false }))).toEqual({ ok: true, value: false });
  });

  it("refuses a string, a missing value, a non-2xx status and a body that is not JSON", () => {
    expect(parseResult(web, 200, JSON.stringify({ queues: [{ depth: "12" }] }))).toEqual({ ok: false, error: 'the value at /queues/0/depth is "12", not a number or true/false' });
    expect(parseResult(web, 200, JSON.stringify({ queues: [] }))).toEqual({ ok: false, error: "nothing at /queues/0/depth in the endpoint's answer" });
    expect(parseResult(web, 503, JSON.stringify({ queues: [{ depth: 1 }] }))).toEqual({ ok: false, error: "the endpoint answered HTTP 503" });
    expect(parseResult(web, 200, "ok")).toMatchObject({ ok: false });
  });
});
