/**
 * Ready SQL for the Analytics Engine SQL API over the data points the router writes (one per
 * proxied request; shape in edge/record.ts `toDataPoint`):
 *
 *   index1 = rollout id
 *   blob1 = variant, blob2 = reason, blob3 = method, blob4 = status class ("2xx", "5xx", "error"),
 *   blob5 = colo, blob6 = country, blob7 = matched path prefix
 *   double1 = latency ms, double2 = status (0 = origin unreachable), double3 = response bytes (-1 = unknown)
 *
 * Analytics Engine samples at high volume: every aggregate weighs rows by `_sample_interval`.
 * Pure: builds strings, no I/O. The same queries are printed in docs/analytics.md.
 */
import { RolloutId } from "../contracts/rollout";

/** The dataset name in wrangler.toml `[[analytics_engine_datasets]]`. */
export const DEFAULT_DATASET = "edge_router_requests";

export interface AnalyticsQuery {
  name: "errorRatePerMinute" | "latencyPercentiles" | "requestsByColo";
  description: string;
  sql: string;
}

/** The three standard queries for one rollout over the last `minutes`. */
export function analyticsQueries(rolloutId: string, minutes: number, dataset = DEFAULT_DATASET): AnalyticsQuery[] {
  // Rollout ids are slugs (validated), datasets are identifiers: nothing here can break out of SQL.
  if (!RolloutId.safeParse(rolloutId).success) throw new Error(`not a rollout id: ${rolloutId}`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(dataset)) throw new Error(`not a dataset name: ${dataset}`);
  const span = Math.max(1, Math.min(Math.floor(minutes), 7 * 24 * 60));
  const where = `index1 = '${rolloutId}' AND timestamp > NOW() - INTERVAL '${span}' MINUTE`;
  return [
    {
      name: "errorRatePerMinute",
      description: "Requests and error rate (5xx and unreachable origin) per variant per minute",
      sql: `SELECT toStartOfInterval(timestamp, INTERVAL '1' MINUTE) AS minute, blob1 AS variant,
  SUM(_sample_interval) AS requests,
  SUM(IF(double2 >= 500 OR double2 = 0, _sample_interval, 0)) AS errors,
  errors / requests AS error_rate
FROM ${dataset}
WHERE ${where}
GROUP BY minute, variant
ORDER BY minute, variant`,
    },
    {
      name: "latencyPercentiles",
      description: "Latency p50/p95/p99 per variant (ms), weighted by the sampling interval",
      sql: `SELECT blob1 AS variant,
  SUM(_sample_interval) AS requests,
  quantileExactWeighted(0.5)(double1, _sample_interval) AS p50_ms,
  quantileExactWeighted(0.95)(double1, _sample_interval) AS p95_ms,
  quantileExactWeighted(0.99)(double1, _sample_interval) AS p99_ms
FROM ${dataset}
WHERE ${where}
GROUP BY variant
ORDER BY variant`,
    },
    {
      name: "requestsByColo",
      description: "Requests per Cloudflare data center and variant",
      sql: `SELECT blob5 AS colo, blob1 AS variant, SUM(_sample_interval) AS requests
FROM ${dataset}
WHERE ${where}
GROUP BY colo, variant
ORDER BY requests DESC
LIMIT 50`,
    },
  ];
}
