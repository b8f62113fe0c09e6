import { describe, expect, it } from "vitest";
import { ExternalChecksSchema, MAX_EXTERNAL_CHECKS, ProbesSchema, SignalPushSchema } from "../../contracts/external";
import { toFieldIssues, type FieldIssue } from "../../contracts/field-issues";
import type * as z from "../../contracts/zod";

/** The field issues of a refused input (fails the test when the input is accepted). */
function issues(schema: z.ZodMiniType, input: unknown): FieldIssue[] {
  const result = schema.safeParse(input);
  expect(result.success, "the input should be refused").toBe(false);
  return result.success ? [] : toFieldIssues(result.error);
}
const pointers = (list: FieldIssue[]) => list.map((i) => i.pointer);

const prom = { name: "queue_depth", provider: "prometheus", url: "http://127.0.0.1:9090", query: 'sum(celery_queue_length{rollout="{{rollout}}"})', max: 5000 };
const dd = {
  name: "dd_errors",
  provider: "datadog",
  site: "datadoghq.eu",
  query: "avg:trace.errors{version:{{variant}}}",
  apiKeyVar: "DD_API_KEY",
  appKeyVar: "DD_APP_KEY",
  max: 0.05,
};
const web = { name: "health", provider: "web", url: "https://status.example.com/api?x=1", jsonPointer: "/checks/db/ok", equals: true };
const signal = { name: "smoke", provider: "signal", min: 1 };

describe("external check schema", () => {
  it("accepts one check of each provider and fills in the documented defaults", () => {
    const parsed = ExternalChecksSchema.parse([prom, dd, web, signal]);
    expect(parsed[0]).toMatchObject({ intervalSeconds: 30, failureLimit: 1, onError: "inconclusive", variant: "new" });
    expect(parsed[1]).toMatchObject({ fromSeconds: 300, variant: "new" });
    expect(parsed[3]).toMatchObject({ staleAfterSeconds: 300, failureLimit: 1 });
    expect(parsed[3]).not.toHaveProperty("intervalSeconds");
  });

  it("points at a name used twice, at the second use", () => {
    const list = issues(ExternalChecksSchema, [prom, { ...signal, name: "queue_depth" }]);
    expect(list).toEqual([{ pointer: "/1/name", message: expect.stringContaining('"queue_depth" is used twice') }]);
  });

  it("refuses names that are not slugs and an unknown provider", () => {
    expect(pointers(issues(ExternalChecksSchema, [{ ...prom, name: "Queue Depth" }]))).toEqual(["/0/name"]);
    expect(pointers(issues(ExternalChecksSchema, [{ ...prom, name: "_x" }]))).toEqual(["/0/name"]);
    expect(issues(ExternalChecksSchema, [{ ...prom, provider: "graphite" }])).toEqual([{ pointer: "/0/provider", message: "must be one of prometheus, datadog, web, signal" }]);
  });

  it("requires a limit, refuses equals mixed with max, and min above max", () => {
    const { max: _, ...noLimit } = prom;
    expect(issues(ExternalChecksSchema, [noLimit])).toEqual([{ pointer: "/0/max", message: expect.stringContaining("needs a limit") }]);
    expect(pointers(issues(ExternalChecksSchema, [{ ...web, max: 1 }]))).toEqual(["/0/equals"]);
    expect(issues(ExternalChecksSchema, [{ ...prom, min: 6000 }])).toEqual([{ pointer: "/0/min", message: "min 6000 is above max 5000: no value could pass" }]);
  });

  it("keeps intervalSeconds between 5 and 3600 and failureLimit between 1 and 100", () => {
    expect(pointers(issues(ExternalChecksSchema, [{ ...prom, intervalSeconds: 4 }]))).toEqual(["/0/intervalSeconds"]);
    expect(pointers(issues(ExternalChecksSchema, [{ ...prom, intervalSeconds: 3601 }]))).toEqual(["/0/intervalSeconds"]);
    expect(pointers(issues(ExternalChecksSchema, [{ ...prom, failureLimit: 0 }]))).toEqual(["/0/failureLimit"]);
    expect(pointers(issues(ExternalChecksSchema, [{ ...prom, failureLimit: 101 }]))).toEqual(["/0/failureLimit"]);
    expect(ExternalChecksSchema.parse([{ ...prom, intervalSeconds: 5, failureLimit: 100 }])[0]).toMatchObject({ intervalSeconds: 5, failureLimit: 100 });
  });

  it("refuses an interval on a pushed signal, which is judged at every alarm", () => {
    expect(issues(ExternalChecksSchema, [{ ...signal, intervalSeconds: 30 }])).toEqual([{ pointer: "/0", message: "unknown field: intervalSeconds" }]);
  });

  it("names an unknown query placeholder", () => {
    expect(issues(ExternalChecksSchema, [{ ...prom, query: 'up{job="{{service}}"}' }])).toEqual([
      { pointer: "/0/query", message: "unknown placeholder {{service}}: only {{rollout}} and {{variant}} are replaced" },
    ]);
  });

  it("refuses a Prometheus URL that is not http(s) or carries a query, but accepts loopback over http", () => {
    expect(pointers(issues(ExternalChecksSchema, [{ ...prom, url: "ftp://prom" }]))).toEqual(["/0/url"]);
    expect(pointers(issues(ExternalChecksSchema, [{ ...prom, url: "http://prom:9090/?x=1" }]))).toEqual(["/0/url"]);
    expect(ExternalChecksSchema.safeParse([{ ...prom, url: "http://localhost:9090/prometheus" }]).success).toBe(true);
  });

  it("accepts Datadog sites and base URLs, refuses a look-alike domain", () => {
    for (const site of ["datadoghq.com", "us3.datadoghq.com", "app.datadoghq.eu", "ddog-gov.com", "http://127.0.0.1:8126"]) {
      expect(ExternalChecksSchema.safeParse([{ ...dd, site }]).success, site).toBe(true);
    }
    expect(pointers(issues(ExternalChecksSchema, [{ ...dd, site: "datadog.com" }]))).toEqual(["/0/site"]);
  });

  it("refuses key var names that are not var names, and the router's own secrets", () => {
    expect(pointers(issues(ExternalChecksSchema, [{ ...dd, apiKeyVar: "dd-key" }]))).toEqual(["/0/apiKeyVar"]);
    expect(issues(ExternalChecksSchema, [{ ...dd, appKeyVar: "ADMIN_TOKEN" }])).toEqual([{ pointer: "/0/appKeyVar", message: expect.stringContaining("router's own secrets") }]);
    expect(pointers(issues(ExternalChecksSchema, [{ ...web, headers: { authorization: { fromVar: "ADMIN_TOKEN" } } }]))).toEqual(["/0/headers/authorization/fromVar"]);
  });

  it("refuses a web check's invalid pointer, bad header name and bad header value", () => {
    expect(pointers(issues(ExternalChecksSchema, [{ ...web, jsonPointer: "checks/db" }]))).toEqual(["/0/jsonPointer"]);
    expect(pointers(issues(ExternalChecksSchema, [{ ...web, headers: { "bad header": "x" } }]))).toEqual(["/0/headers/bad header"]);
    expect(pointers(issues(ExternalChecksSchema, [{ ...web, headers: { "x-a": "1\r\nx-b: 2" } }]))).toEqual(["/0/headers/x-a"]);
    expect(pointers(issues(ExternalChecksSchema, [{ ...web, headers: { "x-a": { var: "X" } } }]))).toEqual(["/0/headers/x-a"]);
  });

  it(`accepts ${MAX_EXTERNAL_CHECKS} checks and refuses one more`, () => {
    const many = Array.from({ length: MAX_EXTERNAL_CHECKS + 1 }, (_, i) => ({ ...signal, name: `s${i}` }));
    expect(ExternalChecksSchema.safeParse(many.slice(0, MAX_EXTERNAL_CHECKS)).success).toBe(true);
    expect(pointers(issues(ExternalChecksSchema, many))).toEqual([""]);
  });
});

describe("probe schema", () => {
  const probe = { name: "checkout-page", variant: "new", path: "/checkout/health?deep=1" };

  it("fills in the documented defaults", () => {
    expect(ProbesSchema.parse([probe])[0]).toEqual({ ...probe, method: "GET", expectStatus: [200], intervalSeconds: 15, timeoutMs: 2000, failureThreshold: 3 });
  });

  it("refuses a path without a leading slash, a status out of range, a POST and a too-short timeout", () => {
    const list = issues(ProbesSchema, [{ ...probe, path: "checkout", expectStatus: [200, 600], method: "POST", timeoutMs: 99 }]);
    expect(pointers(list).sort()).toEqual(["/0/expectStatus/1", "/0/method", "/0/path", "/0/timeoutMs"]);
  });

  it("points at a probe name used twice", () => {
    expect(pointers(issues(ProbesSchema, [probe, { ...probe, variant: "legacy" }]))).toEqual(["/1/name"]);
  });
});

describe("signal push", () => {
  it("accepts a number or a boolean with an optional time and note", () => {
    expect(SignalPushSchema.parse({ value: true, at: "2025-01-31T12:00:00+01:00", note: "smoke ok" })).toEqual({ value: true, at: "2025-01-31T12:00:00+01:00", note: "smoke ok" });
  });

  it("refuses a string value, a time that is not ISO-8601, a long note and unknown fields", () => {
    const list = issues(SignalPushSchema, { value: "3", at: "yesterday", note: "x".repeat(501), by: "ci" });
    expect(pointers(list).sort()).toEqual(["", "/at", "/note", "/value"]);
  });
});
