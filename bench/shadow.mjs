// 7. What shadow traffic costs the router: requests/s and CPU per request with everyone on legacy
// and no shadowing, 10% and 100% of users mirrored to new (each mirror fetched, both bodies
// captured and compared as JSON, counted), on the same workerd, loaded by wrk with a different user
// per request. The origins serve a small JSON catalog that both answer alike (keys in another
// order on new, a request id ignored by the comparison), so the mirrors match: the usual case.
import { fmt, ratio, target } from "./lib/report.mjs";
import { admin, routerBindings, startWorkerd, withServers } from "./lib/workerd.mjs";
import { measureRounds } from "./lib/wrk.mjs";

export const title = "Shadow traffic: requests/s and CPU with 10% and 100% of requests mirrored";
export const needs = ["wrk"];

const PATH = "/__origin/catalog";
/** Mirrors in flight per isolate: above wrk's connections, so that every sampled request is mirrored. */
const MAX_CONCURRENT = 64;
/** At 10% shadowing the router must keep this share of its requests/s without shadowing. */
const MIN_RPS_RATIO_AT_10 = 0.85;
const SETTINGS = [
  { label: "no shadowing", shadow: null },
  { label: "10% shadowed", shadow: 10 },
  { label: "100% shadowed", shadow: 100 },
];

async function configure(url, origins, percent) {
  const shadow = percent === null ? undefined : { percent, maxConcurrent: MAX_CONCURRENT, compare: { ignore: ["/meta/requestId"] } };
  const res = await admin(url, "PUT", "/rollouts/default", { origins, percent: 0, ...(shadow ? { shadow } : {}) });
  if (res.status !== 200 && res.status !== 201) throw new Error(`could not configure shadowing: ${JSON.stringify(res.body)}`);
  await new Promise((r) => setTimeout(r, 400)); // past the freshness window
}

/** Mirrors counted by the control plane over the last `seconds`, once the isolate has flushed. */
async function mirrored(url, seconds) {
  await new Promise((r) => setTimeout(r, 1500));
  await fetch(`${url}/tick`, { headers: { "x-user-id": "tick" } }).then((r) => r.arrayBuffer());
  await new Promise((r) => setTimeout(r, 1200));
  const res = await admin(url, "GET", `/rollouts/default/shadow?window=${Math.min(3600, Math.max(10, Math.ceil(seconds)))}`);
  if (res.status !== 200) throw new Error(`shadow report: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.totals;
}

/** @param {import("./lib/context.mjs").BenchContext} ctx @returns {Promise<import("./lib/report.mjs").BenchResult>} */
export async function run(ctx) {
  const origins = await ctx.origins();
  const measured = await withServers(async (keep) => {
    // One workerd per setting, all running, loaded in turn for ctx.rounds rounds.
    const workers = [];
    for (const setting of SETTINGS) {
      const w = keep(await startWorkerd(ctx, `shadow-${setting.shadow ?? "none"}`, { bundle: ctx.bundle().path, bindings: routerBindings(origins, { INITIAL_PERCENT: "0" }) }));
      await configure(w.url, origins, setting.shadow);
      workers.push(w);
    }
    const before = await Promise.all(workers.map(async (w) => (await admin(w.url, "GET", "/stats")).body.isolate));
    const started = Date.now();
    const results = await measureRounds(
      ctx,
      workers.map((w) => ({ url: w.url, pgid: w.pid, env: { BENCH_PATH: PATH } })),
      (i, r, round) => ctx.log(`round ${round + 1}: ${SETTINGS[i]?.label}: ${fmt(r.rps)} req/s, ${fmt(r.cpuUsPerRequest, 1)} µs CPU/req`),
    );
    const seconds = (Date.now() - started) / 1000 + 10;
    const out = [];
    for (const [i, setting] of SETTINGS.entries()) {
      const w = workers[i];
      const after = (await admin(w.url, "GET", "/stats")).body.isolate;
      const totals = setting.shadow === null ? null : await mirrored(w.url, seconds);
      const skipped = after.shadowSkipped - before[i].shadowSkipped;
      const mirrors = after.shadowMirrors - before[i].shadowMirrors;
      ctx.log(`${setting.label}: mirrors ${mirrors}, skipped ${skipped}`);
      out.push({ ...setting, ...results[i], mirrors, skipped, totals });
    }
    return out;
  });
  const base = measured[0];
  const rows = measured.map((m) => ({
    setting: m.label,
    "requests/s": fmt(m.rps),
    "CPU µs per request": fmt(m.cpuUsPerRequest, 1),
    "p50 ms": fmt(m.p50, 2),
    "p99 ms": fmt(m.p99, 2),
    errors: fmt(m.errors + m.non2xx),
    "requests/s vs none": ratio(m.rps, base.rps),
    "CPU per request vs none": ratio(m.cpuUsPerRequest, base.cpuUsPerRequest),
    "mirrors sent (skipped)": m.shadow === null ? "-" : `${fmt(m.mirrors)} (${fmt(m.skipped)})`,
    "mismatched / compared": m.totals ? `${fmt(m.totals.mismatched)} / ${fmt(m.totals.compared)}` : "-",
  }));
  const ten = measured[1];
  const clean = measured.every((m) => m.errors + m.non2xx === 0);
  return {
    rows,
    targets: [
      target(
        `requests/s with 10% shadowed ≥ ${MIN_RPS_RATIO_AT_10}× without`,
        `${ratio(ten.rps, base.rps)} (${fmt(ten.rps)} vs ${fmt(base.rps)})`,
        clean && ten.rps / base.rps >= MIN_RPS_RATIO_AT_10,
      ),
      target("users get no errors while shadowing", `${fmt(measured.reduce((n, m) => n + m.errors + m.non2xx, 0))} failed requests`, clean),
    ],
    raw: measured,
    method: `One bare workerd per setting (the deploy bundle), everyone on legacy by bucket, all running and loaded in turn for ${ctx.rounds} round${ctx.rounds > 1 ? "s" : ""} (each figure the median round); \`wrk -t2 -c${ctx.connections} -d${ctx.durationSeconds}s\` after a ${ctx.warmupSeconds} s warm-up on \`${PATH}\` (about 300 bytes of JSON) with a different \`x-user-id\` per request; shadow \`percent\` 0/10/100 with \`maxConcurrent: ${MAX_CONCURRENT}\` and \`ignore: ["/meta/requestId"]\`. The mirrors go to the second Node origin on the same machine, so at 100% the machine serves twice the origin requests: the requests/s fall includes that load, not only the router's work. CPU per request: the workerd process's user + system time over a measured run ÷ requests wrk completed.`,
    notes: [
      "Mirrors and comparisons run in `waitUntil` after each response is handed back: the user's latency pays for the tee of the body only; the CPU they cost shows in CPU per request.",
      "Mirrors and mismatched / compared count every round, warm-ups included (mismatches: what reached the control plane; the isolate flushes once a second).",
    ],
  };
}
