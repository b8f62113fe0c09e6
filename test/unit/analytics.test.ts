import { describe, expect, it } from "vitest";
import { runAnalytics } from "../../admin/analytics";
import { analyticsQueries } from "../../admin/analytics-sql";

/** A stand-in for the Analytics Engine SQL API: records each call and answers like the real one. */
function fakeSqlApi(answer: (sql: string) => { status?: number; body: unknown }) {
  const calls: Array<{ url: string; auth: string | null; sql: string }> = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const sql = String(init?.body ?? "");
    calls.push({ url: String(input), auth: new Headers(init?.headers).get("authorization"), sql });
    const { status = 200, body } = answer(sql);
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
  }) as typeof fetch;
  return { fetcher, calls };
}

const env = { CF_ACCOUNT_ID: "acc123", CF_API_TOKEN: "tok", CF_API_BASE_URL: "https://api.test/client/v4" };

describe("analytics SQL", () => {
  it("weighs every aggregate by _sample_interval and filters on the rollout and the time span", () => {
    const queries = analyticsQueries("checkout-v2", 30);
    expect(queries.map((q) => q.name)).toEqual(["errorRatePerMinute", "latencyPercentiles", "requestsByColo"]);
    for (const q of queries) {
      expect(q.sql).toContain("FROM edge_router_requests");
      expect(q.sql).toContain("index1 = 'checkout-v2' AND timestamp > NOW() - INTERVAL '30' MINUTE");
      expect(q.sql).toContain("SUM(_sample_interval)");
    }
    expect(queries[1]!.sql).toContain("quantileExactWeighted(0.95)(double1, _sample_interval)");
    expect(queries[0]!.sql).toMatch(/double2 >= 500 OR double2 = 0/);
  });

  it("refuses anything that is not a rollout id or a dataset name", () => {
    expect(() => analyticsQueries("x' OR 1=1 --", 60)).toThrow(/not a rollout id/);
    expect(() => analyticsQueries("ok", 60, "bad name;")).toThrow(/not a dataset name/);
  });
});

describe("GET /rollouts/:id/analytics against a mocked SQL API", () => {
  it("posts each query with the bearer token to the account's SQL endpoint and returns the rows", async () => {
    const api = fakeSqlApi((sql) => ({
      body: { meta: [], data: sql.includes("quantileExactWeighted") ? [{ variant: "new", p95_ms: 120 }] : [{ variant: "legacy", requests: 10 }], rows: 1 },
    }));
    const result = await runAnalytics(env, "default", 60, api.fetcher);
    expect(result.ok).toBe(true);
    expect(api.calls).toHaveLength(3);
    for (const call of api.calls) {
      expect(call.url).toBe("https://api.test/client/v4/accounts/acc123/analytics_engine/sql");
      expect(call.auth).toBe("Bearer tok");
      expect(call.sql).toMatch(/FORMAT JSON$/);
    }
    if (result.ok) expect(result.body.results.latencyPercentiles!.rows).toEqual([{ variant: "new", p95_ms: 120 }]);
  });

  it("answers 501 naming what to set when the credentials are missing, without calling anything", async () => {
    const api = fakeSqlApi(() => ({ body: {} }));
    const result = await runAnalytics({ CF_ACCOUNT_ID: "acc" }, "default", 60, api.fetcher);
    expect(result).toMatchObject({ ok: false, status: 501, missing: ["CF_API_TOKEN"] });
    expect(api.calls).toHaveLength(0);
  });

  it("turns an SQL API error into a 502 that quotes it", async () => {
    const api = fakeSqlApi(() => ({ status: 400, body: "unknown column blob99" }));
    const result = await runAnalytics(env, "default", 60, api.fetcher);
    expect(result).toMatchObject({ ok: false, status: 502, detail: expect.stringContaining("unknown column blob99") });
  });
});
