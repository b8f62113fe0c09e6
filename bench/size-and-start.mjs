// 5. Size and start: the deployed bundle's size, the CPU its startup costs (`wrangler check
// startup`), and the time from spawning bare workerd to its first proxied response.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fmt, target } from "./lib/report.mjs";
import { routerBindings, startWorkerd } from "./lib/workerd.mjs";

export const title = "Size and start";
export const needs = [];

/** Target: gzipped bundle size, in KiB (shown as KB, as wrangler does). */
const MAX_GZIP_KB = 51;
/** `wrangler check startup` bundles and profiles the worker; it should not take longer. */
const STARTUP_PROFILE_TIMEOUT_MS = 120_000;

/** `wrangler check startup`: CPU spent starting the worker (a local profile); null if unavailable. */
function startupProfile(ctx) {
  const r = spawnSync(join(ctx.root, "node_modules", ".bin", "wrangler"), ["check", "startup", "--outfile", join(ctx.work, "worker-startup.cpuprofile")], {
    cwd: ctx.root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    timeout: STARTUP_PROFILE_TIMEOUT_MS,
  });
  const text = `${r.stdout}\n${r.stderr}`;
  const active = text.match(/Active:\s*([\d.]+)\s*ms/);
  const window = text.match(/Profile window:\s*([\d.]+)\s*ms/);
  return active ? { activeMs: Number(active[1]), windowMs: window ? Number(window[1]) : null } : null;
}

/** Median over `repeats` fresh starts of workerd (new directory, new SQLite file each time). */
async function medianStartMs(ctx, name, options) {
  const times = [];
  for (let i = 0; i < ctx.startRepeats; i++) {
    const w = await startWorkerd(ctx, `${name}-start`, options);
    times.push(w.startMs);
    await w.stop();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)], times };
}

/** @param {import("./lib/context.mjs").BenchContext} ctx @returns {Promise<import("./lib/report.mjs").BenchResult>} */
export async function run(ctx) {
  const size = ctx.bundle();
  const origins = await ctx.origins();
  const router = await medianStartMs(ctx, "router", { bundle: size.path, bindings: routerBindings(origins) });
  const thin = await medianStartMs(ctx, "thin", {
    bundle: join(ctx.root, "bench", "thin-worker.js"),
    bindings: { LEGACY_ORIGIN: origins.legacy, NEW_ORIGIN: origins.new },
    durable: false,
  });
  ctx.log("startup profile (wrangler check startup)");
  const startup = startupProfile(ctx);
  const kb = size.gzipBytes / 1024;
  const row = (what, value) => ({ "": what, measured: value });
  return {
    method: `Bundle from \`wrangler deploy --dry-run\` (minified), gzip level 9. Start times: from spawning \`workerd serve\` to the first successful response through it, median of ${ctx.startRepeats} fresh starts each; the router's includes creating its SQLite Durable Object and seeding the config.`,
    rows: [
      row("bundle, minified", `${fmt(size.rawBytes / 1024, 1)} KB`),
      row("bundle, gzipped", `${fmt(kb, 1)} KB`),
      row(
        "startup CPU (`wrangler check startup`, local profile)",
        startup ? `${fmt(startup.activeMs, 1)} ms active in a ${fmt(startup.windowMs, 1)} ms window` : "(not available)",
      ),
      row("workerd start to first proxied response, router", `${fmt(router.medianMs)} ms`),
      row("workerd start to first proxied response, thinnest worker", `${fmt(thin.medianMs)} ms`),
    ],
    notes: [`Start times (ms): router ${router.times.join(", ")}; thinnest worker ${thin.times.join(", ")}.`],
    targets: [target(`bundle ≤ ${MAX_GZIP_KB} KB gzipped`, `${fmt(kb, 1)} KB`, size.gzipBytes <= MAX_GZIP_KB * 1024)],
    raw: { size, startup, startMs: { router, thin } },
  };
}
