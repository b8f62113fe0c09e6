// 8. Where the router's CPU per request goes, by elimination: the router's own bundle (unminified,
// as `npm run profile` uses) beside copies of it with one piece of per-request work cut out, and
// the thinnest worker, all on bare workerd under the same wrk load. The copies are made by
// replacing one exact statement of the bundle (below); one that no longer matches is reported as
// such, never measured as something else. They exist only here: nothing ships without a feature.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildRouterBundle } from "./lib/bundle.mjs";
import { fmt, ratio } from "./lib/report.mjs";
import { routerBindings, startWorkerd, withServers } from "./lib/workerd.mjs";
import { measureRounds } from "./lib/wrk.mjs";

export const title = "Where the router's CPU per request goes (elimination)";
export const needs = ["wrk"];

/** What each variant removes: the statement of the unminified bundle it replaces, and with what. */
export const CUTS = [
  { key: "log", what: "the request's JSON log line (console.log)", find: "    deps.logText(logText(entry));\n", replace: "" },
  { key: "health", what: "health counting (per-variant counters, distinct-user sketches)", find: "  deps.health?.(entry);\n", replace: "" },
  {
    key: "headers",
    what: "the header policy (the client's headers forwarded as they came, as the thinnest worker does)",
    find: "function upstreamHeaders(request, url, ctx) {\n",
    replace: "function upstreamHeaders(request, url, ctx) {\n  if (request) return request.headers;\n",
  },
];

/**
 * The bundle with `cuts` applied, written next to it; null when a statement is not found (the
 * bundle changed: this benchmark must be updated).
 * @param {string} source @param {typeof CUTS} cuts
 */
export function cutBundle(source, cuts) {
  let out = source;
  for (const cut of cuts) {
    if (out.split(cut.find).length !== 2) return null;
    out = out.replace(cut.find, cut.replace);
  }
  return out;
}

/** @param {import("./lib/context.mjs").BenchContext} ctx @returns {Promise<import("./lib/report.mjs").BenchResult>} */
export async function run(ctx) {
  const origins = await ctx.origins();
  const base = buildRouterBundle(ctx.root, ctx.work, { minify: false }).path;
  const source = readFileSync(base, "utf8");
  const variants = [
    { name: "router (everything)", cuts: [] },
    ...CUTS.map((c) => ({ name: `router without ${c.what}`, cuts: [c] })),
    { name: "router without all three", cuts: CUTS },
  ];
  const { thin, measured } = await withServers(async (keep) => {
    const thinWorker = keep(
      await startWorkerd(ctx, "costs-thin", {
        bundle: join(ctx.root, "bench", "thin-worker.js"),
        bindings: { LEGACY_ORIGIN: origins.legacy, NEW_ORIGIN: origins.new },
        durable: false,
      }),
    );
    const present = [];
    for (const [i, v] of variants.entries()) {
      const text = cutBundle(source, v.cuts);
      if (text === null) continue;
      const path = join(ctx.work, `costs-${i}.js`);
      writeFileSync(path, text);
      present.push({ v, w: keep(await startWorkerd(ctx, `costs-${i}`, { bundle: path, bindings: routerBindings(origins) })) });
    }
    const names = [...present.map((p) => p.v.name), "thinnest worker"];
    const results = await measureRounds(ctx, [...present.map(({ w }) => ({ url: w.url, pgid: w.pid })), { url: thinWorker.url, pgid: thinWorker.pid }], (i, r, round) =>
      ctx.log(`round ${round + 1}: ${names[i]}: ${fmt(r.rps)} req/s, ${fmt(r.cpuUsPerRequest, 1)} µs CPU/req`),
    );
    return {
      thin: results.at(-1),
      measured: variants.map((v) => {
        const at = present.findIndex((p) => p.v === v);
        return at === -1 ? { ...v, missing: true } : { ...v, ...results[at] };
      }),
    };
  });
  const full = measured[0];
  const rows = [
    ...measured.map((m) => ({
      variant: m.name,
      "requests/s": m.missing ? "statement not found" : fmt(m.rps),
      "CPU µs per request": m.missing ? "—" : fmt(m.cpuUsPerRequest, 1),
      "each round": m.missing ? "—" : m.rounds.map((x) => fmt(x.cpuUsPerRequest, 0)).join(" · "),
      "CPU saved vs the full router":
        m.missing || m === full
          ? "—"
          : `${fmt(full.cpuUsPerRequest - m.cpuUsPerRequest, 1)} µs (${fmt((100 * (full.cpuUsPerRequest - m.cpuUsPerRequest)) / full.cpuUsPerRequest, 1)}%)`,
      "CPU per request vs thinnest": m.missing ? "—" : ratio(m.cpuUsPerRequest, thin.cpuUsPerRequest),
    })),
    {
      variant: "thinnest worker",
      "requests/s": fmt(thin.rps),
      "CPU µs per request": fmt(thin.cpuUsPerRequest, 1),
      "each round": thin.rounds.map((x) => fmt(x.cpuUsPerRequest, 0)).join(" · "),
      "CPU saved vs the full router": "—",
      "CPU per request vs thinnest": "1.00×",
    },
  ];
  return {
    method: `Each variant is the router's unminified \`wrangler deploy --dry-run\` bundle with one statement replaced (bench/hot-path-costs.mjs \`CUTS\`), on bare workerd, 1 rollout at 25%, under the same wrk load as section 1 (${ctx.warmupSeconds} s warm-up, ${ctx.durationSeconds} s measured), all running at once and loaded in turn for ${ctx.rounds} round${ctx.rounds > 1 ? "s" : ""}; each figure is the median round. A saving smaller than the spread of a variant's rounds is not significant.`,
    rows,
    targets: [],
    raw: { thin, variants: measured },
  };
}
