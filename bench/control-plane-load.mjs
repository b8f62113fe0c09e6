// 4. Control-plane load: Durable Object calls (config refreshes, health flushes) per 1,000
// proxied requests, read from the isolate's own counters around a wrk run.
import { fmt, target } from "./lib/report.mjs";
import { admin, routerBindings, withWorkerd } from "./lib/workerd.mjs";
import { runWrk } from "./lib/wrk.mjs";

export const title = "Control-plane load";
export const needs = ["wrk"];

/** Target: Durable Object calls per 1,000 proxied requests. */
const MAX_CALLS_PER_1000 = 0.99;
/** Wait after the load so the last health flush (at most one per second) lands in the counters. */
const FLUSH_WAIT_MS = 1500;

/** @param {import("./lib/context.mjs").BenchContext} ctx @returns {Promise<import("./lib/report.mjs").BenchResult>} */
export async function run(ctx) {
  const origins = await ctx.origins();
  const seconds = ctx.warmupSeconds + ctx.durationSeconds;
  const raw = await withWorkerd(ctx, "router-cp", { bundle: ctx.bundle().path, bindings: routerBindings(origins) }, async (w) => {
    const before = (await admin(w.url, "GET", "/stats")).body.isolate;
    const load = await runWrk(ctx, w.url, seconds);
    await new Promise((r) => setTimeout(r, FLUSH_WAIT_MS));
    const after = (await admin(w.url, "GET", "/stats")).body.isolate;
    return {
      seconds,
      rps: load.rps,
      requests: after.proxiedRequests - before.proxiedRequests,
      refreshes: after.configRefreshes - before.configRefreshes,
      flushes: after.healthFlushes - before.healthFlushes,
    };
  });
  const per1000 = (x) => (raw.requests ? (x / raw.requests) * 1000 : null);
  const total = raw.refreshes + raw.flushes;
  ctx.log(`control plane: ${total} DO calls for ${raw.requests} requests`);
  return {
    method: `One router isolate (1 rollout at 25%, bare workerd) under \`wrk -c${ctx.connections}\` for ${raw.seconds} s: ${fmt(raw.requests)} proxied requests at ${fmt(raw.rps)} requests/s, counted by the isolate itself (\`GET /__admin/api/stats\` before and ${FLUSH_WAIT_MS / 1000} s after the load). Both kinds of call are paced per isolate and per unit of time, not per request, so the figure per 1,000 requests falls as traffic rises.`,
    rows: [
      {
        "Durable Object calls": "config refreshes (`getSnapshot`, at most one per freshness window)",
        count: fmt(raw.refreshes),
        "per 1,000 requests": fmt(per1000(raw.refreshes), 2),
      },
      { "Durable Object calls": "health flushes (`recordHealth`, at most one per second)", count: fmt(raw.flushes), "per 1,000 requests": fmt(per1000(raw.flushes), 2) },
      { "Durable Object calls": "total", count: fmt(total), "per 1,000 requests": fmt(per1000(total), 2) },
    ],
    targets: [
      target(
        `≤ ${MAX_CALLS_PER_1000} Durable Object calls per 1,000 requests`,
        `${fmt(per1000(total), 2)} (at ${fmt(raw.rps)} requests/s)`,
        raw.requests > 0 && /** @type {number} */ (per1000(total)) <= MAX_CALLS_PER_1000,
      ),
    ],
    raw,
  };
}
