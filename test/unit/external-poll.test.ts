/** pollCheck and runProbe end to end: real fetch against fake provider servers on loopback. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closedPort } from "../../scripts/origin-server.mjs";
import { ExternalCheckSchema, ProbeSchema, type ExternalCheckInput } from "../../contracts/external";
import { MAX_ANSWER_BYTES, pollCheck, type PollContext } from "../../control/policy/external/providers";
import { runProbe } from "../../control/policy/external/probes";
import { applyResult, externalVerdict, type CheckState } from "../../control/policy/external/verdict";
import { startFakeDatadog, startFakePrometheus, startFakeWeb, type FakeDatadog, type FakePrometheus, type FakeWeb } from "../support/fake-metrics";

const check = (input: ExternalCheckInput) => ExternalCheckSchema.parse(input);
const NOW = Date.parse("2025-03-01T12:00:00Z");
const ctx = (vars: Record<string, string> = {}): PollContext => ({ rolloutId: "checkout-v2", vars, now: NOW });
const TIMEOUT = 2000;

let prom: FakePrometheus;
let dd: FakeDatadog;
let web: FakeWeb;
beforeAll(async () => {
  [prom, dd, web] = await Promise.all([startFakePrometheus(), startFakeDatadog({ apiKey: "api-1", appKey: "app-1" }), startFakeWeb()]);
});
afterAll(() => Promise.all([prom.stop(), dd.stop(), web.stop()]));
beforeEach(() => {
  for (const fake of [prom, dd, web]) {
    fake.requests.length = 0;
    fake.delayMs = 0;
  }
});

describe("pollCheck against Prometheus", () => {
  const queueInput = (url = prom.url) => ({
    name: "queue_depth",
    description: "celery queue depth",
    provider: "prometheus" as const,
    url,
    query: 'sum(celery_queue_length{rollout="{{rollout}}"})',
    max: 5000,
    failureLimit: 2,
  });
  const queue = () => check(queueInput());

  it("sends the filled-in query and reads the single sample", async () => {
    prom.setVector(["4200"]);
    expect(await pollCheck(queue(), ctx(), fetch, TIMEOUT)).toEqual({ ok: true, value: 4200 });
    expect(prom.requests).toMatchObject([{ method: "GET", path: "/api/v1/query", query: { query: 'sum(celery_queue_length{rollout="checkout-v2"})' } }]);
  });

  it("turns two polls over the limit into a breach a person can read", async () => {
    prom.setVector(["5400"]);
    let state: CheckState | undefined;
    for (const at of [NOW, NOW + 30_000]) state = applyResult(queue(), state, await pollCheck(queue(), ctx(), fetch, TIMEOUT), at);
    expect(externalVerdict([queue()], { queue_depth: state }).breaches.map((b) => b.sentence)).toEqual([
      "external queue_depth: celery queue depth 5,400 exceeds max 5,000 (2 consecutive failures, prometheus)",
    ]);
  });

  it("reports a query Prometheus could not run, two samples, and a scalar", async () => {
    prom.setError(422, "execution", "query timed out in expression evaluation");
    expect(await pollCheck(queue(), ctx(), fetch, TIMEOUT)).toEqual({
      ok: false,
      error: "Prometheus refused the query (HTTP 422, execution): query timed out in expression evaluation",
    });
    prom.setVector(["1", "2"]);
    expect(await pollCheck(queue(), ctx(), fetch, TIMEOUT)).toMatchObject({ ok: false, error: expect.stringContaining("returned 2 series") });
    prom.setScalar("NaN");
    expect(await pollCheck(queue(), ctx(), fetch, TIMEOUT)).toMatchObject({ ok: false, error: expect.stringContaining("NaN") });
  });

  it("gives up after the timeout, and names a refused connection", async () => {
    prom.setVector(["1"]);
    prom.delayMs = 1000;
    expect(await pollCheck(queue(), ctx(), fetch, 100)).toEqual({ ok: false, error: "no answer within 100 ms" });
    const closed = check(queueInput(`http://127.0.0.1:${await closedPort()}`));
    expect(await pollCheck(closed, ctx(), fetch, TIMEOUT)).toMatchObject({ ok: false, error: expect.stringContaining("ECONNREFUSED") });
  });

  it("refuses an answer larger than the cap without keeping it", async () => {
    prom.setRaw(200, "x".repeat(MAX_ANSWER_BYTES + 1), "text/plain");
    expect(await pollCheck(queue(), ctx(), fetch, TIMEOUT)).toEqual({ ok: false, error: `the answer is larger than ${MAX_ANSWER_BYTES} bytes` });
  });
});

describe("pollCheck against Datadog", () => {
  const errors = () =>
    check({ name: "dd_errors", provider: "datadog", site: dd.url, query: "avg:trace.errors{variant:{{variant}}}", apiKeyVar: "DD_API_KEY", appKeyVar: "DD_APP_KEY", max: 0.05 });
  const keys = { DD_API_KEY: "api-1", DD_APP_KEY: "app-1" };

  it("sends both keys and the window, and reads the last point", async () => {
    dd.setSeries([
      [
        [1, 0.01],
        [2, 0.03],
        [3, null],
      ],
    ]);
    expect(await pollCheck(errors(), ctx(keys), fetch, TIMEOUT)).toEqual({ ok: true, value: 0.03 });
    const [request] = dd.requests;
    expect(request).toMatchObject({ path: "/api/v1/query", query: { from: String(NOW / 1000 - 300), to: String(NOW / 1000), query: "avg:trace.errors{variant:new}" } });
    expect(request!.headers).toMatchObject({ "dd-api-key": "api-1", "dd-application-key": "app-1" });
  });

  it("reports a wrong key as Datadog does, and sends nothing when a key var is missing", async () => {
    expect(await pollCheck(errors(), ctx({ ...keys, DD_APP_KEY: "wrong" }), fetch, TIMEOUT)).toEqual({ ok: false, error: "Datadog answered HTTP 403: Forbidden" });
    dd.requests.length = 0;
    expect(await pollCheck(errors(), ctx({ DD_API_KEY: "api-1" }), fetch, TIMEOUT)).toMatchObject({ ok: false, error: expect.stringContaining("DD_APP_KEY") });
    expect(dd.requests).toHaveLength(0);
  });

  it("refuses an answer with two series", async () => {
    dd.setSeries([[[1, 0.01]], [[1, 0.02]]]);
    expect(await pollCheck(errors(), ctx(keys), fetch, TIMEOUT)).toMatchObject({ ok: false, error: expect.stringContaining("returned 2 series") });
  });
});

describe("pollCheck against a web endpoint", () => {
  const health = () =>
    check({ name: "db", provider: "web", url: `${web.url}/status?deep=1`, headers: { authorization: { fromVar: "STATUS_TOKEN" } }, jsonPointer: "/db/healthy", equals: true });

  it("sends the header from its var and reads the value at the pointer", async () => {
    web.setJson({ db: { healthy: false } });
    expect(await pollCheck(health(), ctx({ STATUS_TOKEN: "Bearer t" }), fetch, TIMEOUT)).toEqual({ ok: true, value: false });
    expect(web.requests).toMatchObject([{ path: "/status", query: { deep: "1" }, headers: { authorization: "Bearer t" } }]);
  });

  it("does not follow a redirect, and reports a body that is not JSON", async () => {
    web.setRaw(302, "");
    expect(await pollCheck(health(), ctx({ STATUS_TOKEN: "t" }), fetch, TIMEOUT)).toMatchObject({ ok: false, error: expect.stringContaining("redirect (HTTP 302") });
    web.setRaw(200, "<html>ok</html>", "text/html");
    expect(await pollCheck(health(), ctx({ STATUS_TOKEN: "t" }), fetch, TIMEOUT)).toMatchObject({ ok: false, error: expect.stringContaining("not JSON") });
  });
});

describe("runProbe", () => {
  const probe = (timeoutMs = 2000) => ProbeSchema.parse({ name: "checkout", variant: "new", path: "/checkout/health", expectStatus: [200, 204], timeoutMs });
  const origins = () => ({ legacy: "http://127.0.0.1:1", new: web.url });
  let t = 0;
  const clock = () => (t += 7);

  it("passes on an expected status and tells the origin it is a probe", async () => {
    web.setJson({ ok: true }, 204);
    expect(await runProbe(probe(), origins(), fetch, clock)).toEqual({ ok: true, status: 204, error: null, durationMs: 7 });
    expect(web.requests).toMatchObject([{ method: "GET", path: "/checkout/health", headers: { "x-rollout-probe": "checkout" } }]);
  });

  it("fails on another status and on a timeout, without throwing", async () => {
    web.setJson({ ok: false }, 503);
    expect(await runProbe(probe(), origins(), fetch, clock)).toMatchObject({ ok: false, status: 503, error: "HTTP 503, expected 200 or 204" });
    web.delayMs = 1000;
    expect(await runProbe(probe(100), origins(), fetch, clock)).toMatchObject({ ok: false, status: null, error: "no answer within 100 ms" });
  });
});
