// 6. The control plane far away, for real: one bare workerd per setting, whose every control-plane
// call waits CONFIG_SIMULATED_RTT_MS (a colo that far from the read tier), under steady load. Per
// setting: the share of requests that waited on the control plane (the isolate's own count) and
// the kill's propagation (the last request that still reached new, after the acknowledgement).
// Today's design is the same code with the hard bound at the freshness window (a request waits as
// soon as the snapshot is older than 250 ms); the tiered design serves from the snapshot up to
// 600 ms and refreshes in the background.
import { fmt, target } from "./lib/report.mjs";
import { killOutcome, steadyLoad } from "./lib/load.mjs";
import { admin, routerBindings, withWorkerd } from "./lib/workerd.mjs";

export const title = "The control plane far away (bare workerd, simulated round trips)";
export const needs = [];

const LOOPS = 12;
const USERS_PER_LOOP = 200;
const KILL_BOUND_MS = 1000;
/** Load before counting starts. */
const WARM_MS = 600;
/** Per kill: load on new after the resume, then load after the kill before the next resume. */
const ON_NEW_MS = 700;
const AFTER_KILL_MS = 1600;
const DESIGNS = {
  today: { CONFIG_MAX_STALENESS_MS: "250" },
  tiered: { CONFIG_MAX_STALENESS_MS: "600", CONFIG_REPLICA_REGIONS: "weur", CONFIG_REPLICAS_PER_REGION: "2" },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One steady load through `kills` kill/resume cycles. A kill's propagation: from its
 * acknowledgement to the start of the last request that reached new, among the requests answered
 * before the resume was sent (one that started earlier but waited on a refresh that already saw the
 * resume rightly reaches new).
 */
async function measure(url, kills) {
  const load = steadyLoad(url, { loops: LOOPS, usersPerLoop: USERS_PER_LOOP, prefix: "t" });
  // Steady load first: an isolate idle for longer than the hard bound waits once, by design.
  await sleep(WARM_MS);
  const before = (await admin(url, "GET", "/stats")).body.isolate;
  const windows = [];
  for (let k = 0; k < kills; k++) {
    await sleep(ON_NEW_MS);
    await admin(url, "POST", "/rollouts/default/kill", { reason: `read-tier bench ${k + 1}` });
    const ack = performance.now();
    await sleep(AFTER_KILL_MS);
    windows.push({ ack, until: performance.now() });
    await admin(url, "POST", "/rollouts/default/resume", {});
  }
  const seen = await load.stop();
  const after = (await admin(url, "GET", "/stats")).body.isolate;
  const requests = after.proxiedRequests - before.proxiedRequests;
  const perKill = windows.map(({ ack, until }) =>
    killOutcome(
      seen.filter((s) => s.startedAt >= ack && s.startedAt + s.ms < until),
      ack,
      KILL_BOUND_MS,
    ),
  );
  const killMs = perKill.map((p) => p.ms).sort((a, b) => a - b);
  return {
    requests,
    waitShare: (after.requestsThatWaited - before.requestsThatWaited) / Math.max(1, requests),
    killMs,
    late: perKill.reduce((n, p) => n + p.late, 0),
    p99Ms: [...seen].sort((a, b) => a.ms - b.ms)[Math.floor(seen.length * 0.99)]?.ms ?? 0,
  };
}

/** @param {import("./lib/context.mjs").BenchContext} ctx @returns {Promise<import("./lib/report.mjs").BenchResult>} */
export async function run(ctx) {
  const origins = await ctx.origins();
  const rtts = ctx.quick ? [80] : [20, 80, 250];
  const rows = [];
  const raw = [];
  const targets = [];
  for (const rtt of rtts) {
    for (const [design, vars] of Object.entries(DESIGNS)) {
      const bindings = routerBindings(origins, { INITIAL_PERCENT: "100", ADMIN_WRITES_REFRESH_LOCALLY: "false", CONFIG_SIMULATED_RTT_MS: String(rtt), ...vars });
      const r = await withWorkerd(ctx, `read-tier-${design}-${rtt}`, { bundle: ctx.bundle().path, bindings }, async (w) => {
        return measure(w.url, ctx.quick ? 2 : 5);
      });
      raw.push({ rtt, design, ...r });
      rows.push({
        "round trip": `${rtt} ms`,
        design,
        requests: fmt(r.requests),
        waited: `${fmt(r.waitShare * 100, 1)}%`,
        "client p99": `${fmt(r.p99Ms, 1)} ms`,
        kills: fmt(r.killMs.length),
        "kill propagation, median": `${fmt(r.killMs[Math.floor(r.killMs.length / 2)])} ms`,
        "kill propagation, max": `${fmt(r.killMs.at(-1))} ms`,
        "late (> 1 s)": fmt(r.late),
      });
      if (design === "tiered") {
        targets.push(target(`${rtt} ms: requests that waited (tiered) ≤ 1%`, `${fmt(r.waitShare * 100, 1)}%`, r.waitShare <= 0.01));
        targets.push(target(`${rtt} ms: no request reaches new > 1 s after a kill (tiered)`, `${r.late} late`, r.late === 0));
      }
    }
  }
  return {
    rows,
    targets,
    raw,
    method: `Bare workerd per setting, ${LOOPS} request loops from Node for the whole run, then ${ctx.quick ? 2 : 5} kills, each ${ON_NEW_MS} ms after the previous resume; admin writes do not refresh the isolate directly (\`ADMIN_WRITES_REFRESH_LOCALLY=false\`). \`CONFIG_SIMULATED_RTT_MS\` delays every config read and health flush of the isolate by the round trip, half before the call and half after. "Waited": requests that waited on the control plane, counted by the isolate. Kill propagation: acknowledgement to the start of the last request that reached new, among those answered before the next resume was sent. Late: requests that reached new over ${KILL_BOUND_MS} ms after a kill's acknowledgement.`,
  };
}
