// 3. Kill-switch propagation under steady load: how long after a kill's acknowledgement requests
// still reach the new origin, on an isolate that learns of it only through its freshness window.
import { fmt, target } from "./lib/report.mjs";
import { killOutcome, steadyLoad } from "./lib/load.mjs";
import { admin, routerBindings, withWorkerd } from "./lib/workerd.mjs";

export const title = "Kill-switch propagation";
export const needs = [];

/** Concurrent request loops during each kill. */
const LOOPS = 16;
/** Distinct user ids per loop, cycled. */
const USERS_PER_LOOP = 200;
/** Pauses: after the resume (let it reach the isolate), load before the kill, load after it. */
const SETTLE_MS = 400;
const BEFORE_KILL_MS = 300;
const AFTER_KILL_MS = 1200;
/** A request that starts this long after the acknowledgement and still reaches new counts as late. */
const LATE_MS = 1000;
/** Targets: median and maximum propagation. */
const MAX_MEDIAN_MS = 198;
const MAX_MS = 1000;

/** One kill under load: ms from its acknowledgement to the start of the last request that reached new. */
async function oneKill(url, k) {
  await admin(url, "POST", "/rollouts/default/resume", {});
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const load = steadyLoad(url, { loops: LOOPS, usersPerLoop: USERS_PER_LOOP, prefix: `k${k}` });
  await new Promise((r) => setTimeout(r, BEFORE_KILL_MS));
  await admin(url, "POST", "/rollouts/default/kill", { reason: `bench kill ${k + 1}` });
  const ack = performance.now();
  await new Promise((r) => setTimeout(r, AFTER_KILL_MS));
  const seen = await load.stop();
  return killOutcome(seen, ack, LATE_MS);
}

/** @param {import("./lib/context.mjs").BenchContext} ctx @returns {Promise<import("./lib/report.mjs").BenchResult>} */
export async function run(ctx) {
  const origins = await ctx.origins();
  // Admin writes do not refresh the proxying isolate directly here: the change reaches it through
  // the freshness window, as it reaches every other isolate in production.
  const bindings = routerBindings(origins, { INITIAL_PERCENT: "50", ADMIN_WRITES_REFRESH_LOCALLY: "false" });
  const kills = await withWorkerd(ctx, "router-kill", { bundle: ctx.bundle().path, bindings }, async (w) => {
    const out = [];
    for (let k = 0; k < ctx.kills; k++) out.push(await oneKill(w.url, k));
    return out;
  });
  const samples = kills.map((k) => k.ms);
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const raw = { kills: ctx.kills, medianMs: pick(0.5), p95Ms: pick(0.95), maxMs: sorted.at(-1), samples, reachedNewLate: kills.reduce((s, k) => s + k.late, 0) };
  ctx.log(`kill propagation: median ${fmt(raw.medianMs)} ms, max ${fmt(raw.maxMs)} ms`);
  return {
    method: `${raw.kills} kills under steady load (${LOOPS} concurrent request loops from Node, bare workerd), each after a resume at 50%. Measured from the kill's HTTP acknowledgement to the start of the last request that still reached new. Admin writes do **not** refresh the proxying isolate at once (\`ADMIN_WRITES_REFRESH_LOCALLY=false\`), so the change arrives through the freshness window, as in every isolate but the one that took the admin request.`,
    rows: [
      {
        median: `${fmt(raw.medianMs)} ms`,
        p95: `${fmt(raw.p95Ms)} ms`,
        max: `${fmt(raw.maxMs)} ms`,
        [`requests started > ${LATE_MS / 1000} s after the ack that reached new`]: fmt(raw.reachedNewLate),
      },
    ],
    notes: [`Per kill (ms): ${samples.map((s) => fmt(s)).join(", ")}.`],
    targets: [
      target(`kill propagation median ≤ ${MAX_MEDIAN_MS} ms`, `${fmt(raw.medianMs)} ms`, raw.medianMs <= MAX_MEDIAN_MS),
      target(`kill propagation max < ${fmt(MAX_MS / 1000)} s`, `${fmt(raw.maxMs)} ms`, raw.maxMs < MAX_MS),
    ],
    raw,
  };
}
