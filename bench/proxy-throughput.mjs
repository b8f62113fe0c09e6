// 1. Proxy throughput and CPU per request on the same runtime: direct to the origin, the thinnest
// worker proxy, the router (1 rollout at 25%; 50 rollouts with 1,000-user allowlists) and nginx
// split_clients, each loaded by wrk with a different user id per request.
import { join } from "node:path";
import { fmt, ratio, target } from "./lib/report.mjs";
import { admin, routerBindings, startWorkerd, withServers } from "./lib/workerd.mjs";
import { startNginx } from "./lib/nginx.mjs";
import { measureRounds } from "./lib/wrk.mjs";

export const title = "Proxy throughput and CPU per request";
export const needs = ["wrk", "nginx"];

/** The router's requests/s must reach this share of the thinnest worker's. */
const MIN_RPS_RATIO = 0.9;
/** The router's CPU per request may be at most this multiple of the thinnest worker's. */
const MAX_CPU_RATIO = 1.1;
/** Rollouts and allowlist size of contender (d). */
const ROLLOUTS = 50;
const ALLOWLIST = 1000;

/**
 * Targeting rules of every rollout of contender (d), tried before the percentage on each request:
 * a header rule and a country rule, which the bench's requests do not match (so every request
 * pays for trying both, then goes to the bucket).
 */
const RULES = [
  { name: "beta-header", when: [{ header: "x-beta", equals: "1" }], variant: "new" },
  { name: "germany-half", when: [{ country: ["DE"] }], percent: 50 },
];

/** Creates ROLLOUTS rollouts on /r0 ... /r49, each with ALLOWLIST allowlisted ids and RULES. */
async function seedRollouts(url, origins) {
  for (let i = 0; i < ROLLOUTS; i++) {
    const ids = Array.from({ length: ALLOWLIST }, (_, j) => `allow-${i}-${j}`);
    const body = { match: { pathPrefixes: [`/r${i}`] }, origins, percent: 25, allowlist: { new: ids.slice(0, ALLOWLIST / 2), legacy: ids.slice(ALLOWLIST / 2) }, rules: RULES };
    const res = await admin(url, "PUT", `/rollouts/r${i}`, body);
    if (res.status !== 201) throw new Error(`could not create rollout r${i}: ${JSON.stringify(res.body)}`);
  }
  await new Promise((r) => setTimeout(r, 400)); // past the freshness window: the isolate sees all 50
}

/**
 * Starts every contender, then loads them in turn for ctx.rounds rounds; returns them keyed a..e,
 * each the median of its rounds.
 */
async function contenders(ctx) {
  const origins = await ctx.origins();
  const bundle = ctx.bundle().path;
  const thinSpec = { bundle: join(ctx.root, "bench", "thin-worker.js"), bindings: { LEGACY_ORIGIN: origins.legacy, NEW_ORIGIN: origins.new }, durable: false };
  return withServers(async (keep) => {
    const start = async (name, spec) => keep(await startWorkerd(ctx, name, spec));
    const thin = await start("thin", thinSpec);
    const router = await start("router", { bundle, bindings: routerBindings(origins) });
    const router50 = await start("router-50", { bundle, bindings: routerBindings(origins) });
    await seedRollouts(router50.url, origins);
    const nginx = keep(await startNginx(ctx, origins));
    const list = [
      { key: "a", name: "(a) direct to the origin", target: { url: origins.legacy } },
      { key: "b", name: "(b) thinnest worker proxy (workerd)", target: { url: thin.url, pgid: thin.pid } },
      { key: "c", name: "(c) edge-router, 1 rollout at 25% (workerd)", target: { url: router.url, pgid: router.pid } },
      {
        key: "d",
        name: `(d) edge-router, ${ROLLOUTS} rollouts, ${fmt(ALLOWLIST)}-user allowlists, 2 rules each (workerd)`,
        target: { url: router50.url, pgid: router50.pid, env: { SPREAD: "1" } },
      },
      { key: "e", name: "(e) nginx split_clients", target: { url: nginx.url, pgid: nginx.pid } },
    ];
    const results = await measureRounds(
      ctx,
      list.map((c) => c.target),
      (i, r, round) =>
        ctx.log(
          `round ${round + 1}: ${list[i]?.name}: ${fmt(r.rps)} req/s, ${fmt(r.cpuUsPerRequest, 1)} µs CPU/req, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, errors ${r.errors}, non-2xx ${r.non2xx}`,
        ),
    );
    return Object.fromEntries(list.map((c, i) => [c.key, { name: c.name, ...results[i] }]));
  });
}

/** Targets against the thinnest worker, from this run's numbers only. */
function targets(thin, router, label) {
  const clean = thin.errors + thin.non2xx + router.errors + router.non2xx === 0;
  const dirty = clean ? "" : " (with failed requests)";
  const rps = router.rps / thin.rps;
  const cpu = router.cpuUsPerRequest !== null && thin.cpuUsPerRequest ? router.cpuUsPerRequest / thin.cpuUsPerRequest : null;
  return [
    target(
      `router requests/s ≥ ${MIN_RPS_RATIO}× the thinnest worker's, ${label}`,
      `${ratio(router.rps, thin.rps)} (${fmt(router.rps)} vs ${fmt(thin.rps)})${dirty}`,
      clean && rps >= MIN_RPS_RATIO,
    ),
    target(
      `router CPU per request ≤ ${MAX_CPU_RATIO}× the thinnest worker's, ${label}`,
      `${ratio(router.cpuUsPerRequest, thin.cpuUsPerRequest)} (${fmt(router.cpuUsPerRequest, 1)} vs ${fmt(thin.cpuUsPerRequest, 1)} µs)${dirty}`,
      cpu === null ? null : clean && cpu <= MAX_CPU_RATIO,
    ),
  ];
}

/** @param {import("./lib/context.mjs").BenchContext} ctx @returns {Promise<import("./lib/report.mjs").BenchResult>} */
export async function run(ctx) {
  const m = await contenders(ctx);
  const { b: thin, e: nginx } = m;
  const rows = Object.values(m).map((r) => ({
    contender: r.name,
    "requests/s": fmt(r.rps),
    "CPU µs per request": fmt(r.cpuUsPerRequest, 1),
    "CPU µs per request, each round": r.rounds.map((x) => fmt(x.cpuUsPerRequest, 0)).join(" · "),
    "p50 ms": fmt(r.p50, 2),
    "p99 ms": fmt(r.p99, 2),
    errors: fmt(r.errors + r.non2xx),
    "requests/s vs (b)": ratio(r.rps, thin.rps),
    "CPU per request vs (b)": ratio(r.cpuUsPerRequest, thin.cpuUsPerRequest),
    "requests/s vs (e) nginx": ratio(r.rps, nginx.rps),
  }));
  const method = `All contenders run at once; each round loads them in turn (\`wrk -t2 -c${ctx.connections} -d${ctx.durationSeconds}s\` after a ${ctx.warmupSeconds} s warm-up), ${ctx.rounds} round${ctx.rounds > 1 ? "s" : ""}, and each figure is a contender's median round (so a slow moment of the machine falls on every contender, not on one). A different \`x-user-id\` on every request (\`bench/load.lua\`); wrk, the proxies and the two Node origins (keep-alive, 1 KB bodies) share this machine's cores over loopback. Workers run on bare \`workerd serve\` (the \`wrangler deploy --dry-run\` bundle, SQLite-backed Durable Object on disk, in the same process). CPU per request: user + system CPU time of the proxy's process group (\`/proc/<pid>/stat\` utime + stime; workerd is one process, nginx a master and one worker) over the measured run, divided by the requests wrk completed.`;
  const notes = [
    "(b) is `bench/thin-worker.js`: hash the user id, pick an origin, `fetch`; nothing else. (c) and (d) are the full router; (d) spreads requests over 50 path prefixes, each a rollout with 1,000 allowlisted ids and two targeting rules (a header and a country) that the requests do not match. (d) is compared with the same (b) run.",
    `Router / thinnest worker in this run: requests/s ${ratio(m.c.rps, thin.rps)} (1 rollout), ${ratio(m.d.rps, thin.rps)} (50 rollouts); CPU per request ${ratio(m.c.cpuUsPerRequest, thin.cpuUsPerRequest)} (1 rollout), ${ratio(m.d.cpuUsPerRequest, thin.cpuUsPerRequest)} (50 rollouts).`,
  ];
  const [rps1, cpu1] = targets(thin, m.c, "1 rollout");
  const [rps50, cpu50] = targets(thin, m.d, `${ROLLOUTS} rollouts`);
  return { method, rows, notes, targets: [rps1, rps50, cpu1, cpu50], raw: m };
}
