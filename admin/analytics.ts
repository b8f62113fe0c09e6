/**
 * `GET /rollouts/:id/analytics`: runs the standard queries against the Analytics Engine SQL API
 * when CF_ACCOUNT_ID and CF_API_TOKEN are configured.
 */
import { analyticsQueries, DEFAULT_DATASET } from "./analytics-sql";

export interface AnalyticsEnv {
  CF_ACCOUNT_ID?: string;
  CF_API_TOKEN?: string;
  /** Dataset name, if not the one in wrangler.toml. */
  ANALYTICS_DATASET?: string;
  /** Base URL of the Cloudflare API (tests point it at a fake). @default https://api.cloudflare.com/client/v4 */
  CF_API_BASE_URL?: string;
}

export type AnalyticsResult =
  | { ok: true; body: { rollout: string; minutes: number; dataset: string; results: Record<string, { description: string; sql: string; rows: unknown[] }> } }
  | { ok: false; status: 501 | 502; detail: string; missing?: string[] };

export async function runAnalytics(env: AnalyticsEnv, rolloutId: string, minutes: number, fetcher: typeof fetch = fetch): Promise<AnalyticsResult> {
  const missing = (["CF_ACCOUNT_ID", "CF_API_TOKEN"] as const).filter((name) => !env[name]);
  if (missing.length) {
    return {
      ok: false,
      status: 501,
      missing,
      detail: `Analytics queries need ${missing.join(" and ")}: set CF_ACCOUNT_ID (your account id) as a var and CF_API_TOKEN (an API token with "Account Analytics: Read") with \`wrangler secret put CF_API_TOKEN\`. The SQL is also in docs/analytics.md to run by hand.`,
    };
  }
  const dataset = env.ANALYTICS_DATASET || DEFAULT_DATASET;
  const base = (env.CF_API_BASE_URL || "https://api.cloudflare.com/client/v4").replace(/\/$/, "");
  const url = `${base}/accounts/${encodeURIComponent(env.CF_ACCOUNT_ID!)}/analytics_engine/sql`;
  const results: Record<string, { description: string; sql: string; rows: unknown[] }> = {};
  for (const query of analyticsQueries(rolloutId, minutes, dataset)) {
    let response: Response;
    try {
      response = await fetcher(url, { method: "POST", headers: { authorization: `Bearer ${env.CF_API_TOKEN}` }, body: `${query.sql}\nFORMAT JSON` });
    } catch (error) {
      return { ok: false, status: 502, detail: `The Analytics Engine SQL API could not be reached: ${error instanceof Error ? error.message : String(error)}` };
    }
    const text = await response.text();
    if (!response.ok) return { ok: false, status: 502, detail: `The Analytics Engine SQL API answered ${response.status} to ${query.name}: ${text.slice(0, 500)}` };
    let parsed: { data?: unknown[] };
    try {
      parsed = JSON.parse(text) as { data?: unknown[] };
    } catch {
      return { ok: false, status: 502, detail: `The Analytics Engine SQL API answered ${query.name} with something other than JSON: ${text.slice(0, 200)}` };
    }
    results[query.name] = { description: query.description, sql: query.sql, rows: parsed.data ?? [] };
  }
  return { ok: true, body: { rollout: rolloutId, minutes, dataset, results } };
}
