#!/usr/bin/env node
// `npm run profile`: where the router's CPU goes under load. Bare workerd serves the router (an
// unminified bundle, so functions keep their names) with its inspector on; wrk loads it as the
// throughput bench does while the V8 sampling profiler records. Prints the functions with the most
// self time and writes .bench/router.cpuprofile (open it in Chrome DevTools' Performance panel).
//
//   npm run profile                 1 rollout at 25%, 8 s of load
//   npm run profile -- --spread     50 rollouts with allowlists, requests over their prefixes
//   npm run profile -- --seconds 20 --top 40 --thin   (--thin: the thinnest worker, for comparison)
//   npm run profile -- --bundle path/to/index.js      (a bundle built elsewhere, e.g. an experiment)
//   npm run profile -- --shadow 10    everyone on legacy, 10% mirrored to new (the shadow bench's setup)
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, waitFor } from "../scripts/lib/net.mjs";
import { buildRouterBundle } from "./lib/bundle.mjs";
import { createContext } from "./lib/context.mjs";
import { fmt } from "./lib/report.mjs";
import { ensureTools } from "./lib/tools.mjs";
import { admin, routerBindings, withWorkerd } from "./lib/workerd.mjs";
import { runWrk } from "./lib/wrk.mjs";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    top: { type: "string", default: "30" },
    spread: { type: "boolean", default: false },
    thin: { type: "boolean", default: false },
    shadow: { type: "string" },
    "interval-us": { type: "string", default: "100" },
    bundle: { type: "string" },
  },
});

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
async function devtools(inspectorPort) {
  await waitFor(`http://127.0.0.1:${inspectorPort}/json/list`);
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("could not open the inspector's WebSocket"));
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (event) => {
    const message = JSON.parse(String(event.data));
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${message.error.message}`));
    else waiter.resolve(message.result);
  };
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        pending.set(++id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Self time per function (name, file:line), largest first, from a V8 CPU profile. */
export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ticks = new Map();
  for (const sample of profile.samples) ticks.set(sample, (ticks.get(sample) ?? 0) + 1);
  const total = profile.samples.length;
  const rows = new Map();
  for (const [nodeId, count] of ticks) {
    const { functionName, url, lineNumber } = byId.get(nodeId).callFrame;
    const file = url ? url.split("/").pop() : "";
    const key = `${functionName || "(anonymous)"} ${file}${file ? `:${lineNumber + 1}` : ""}`;
    rows.set(key, (rows.get(key) ?? 0) + count);
  }
  return [...rows].sort((a, b) => b[1] - a[1]).map(([fn, count]) => ({ fn, share: count / total }));
}

async function main() {
  const log = (...a) => console.error("[profile]", ...a);
  const tools = ensureTools(["wrk"], log);
  const { ctx, dispose } = createContext({ quick: false, tools, log });
  try {
    const origins = await ctx.origins();
    const inspectorPort = await freePort();
    const args = ["--inspector-addr", `127.0.0.1:${inspectorPort}`];
    const options = values.thin
      ? { bundle: join(ctx.root, "bench", "thin-worker.js"), bindings: { LEGACY_ORIGIN: origins.legacy, NEW_ORIGIN: origins.new }, durable: false, args }
      : { bundle: values.bundle ?? buildRouterBundle(ctx.root, ctx.work, { minify: false }).path, bindings: routerBindings(origins), args };
    await withWorkerd(ctx, "profile", options, async (w) => {
      if (values.spread) {
        for (let i = 0; i < 50; i++) {
          const ids = Array.from({ length: 1000 }, (_, j) => `allow-${i}-${j}`);
          await admin(w.url, "PUT", `/rollouts/r${i}`, {
            match: { pathPrefixes: [`/r${i}`] },
            origins,
            percent: 25,
            allowlist: { new: ids.slice(0, 500), legacy: ids.slice(500) },
          });
        }
      }
      if (values.shadow !== undefined) {
        const shadow = { percent: Number(values.shadow), maxConcurrent: 64, compare: { ignore: ["/meta/requestId"] } };
        const res = await admin(w.url, "PUT", "/rollouts/default", { origins, percent: 0, shadow });
        if (res.status !== 200) throw new Error(`--shadow: ${res.status} ${JSON.stringify(res.body)}`);
      }
      const env = values.spread ? { SPREAD: "1" } : values.shadow !== undefined ? { BENCH_PATH: "/__origin/catalog" } : {};
      await runWrk(ctx, w.url, 2, env); // warm-up: JIT and the snapshot
      const cdp = await devtools(inspectorPort);
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.setSamplingInterval", { interval: Number(values["interval-us"]) });
      await cdp.send("Profiler.start");
      const load = await runWrk(ctx, w.url, Number(values.seconds), env);
      const { profile } = await cdp.send("Profiler.stop");
      cdp.close();
      const out = join(ctx.work, values.thin ? "thin.cpuprofile" : "router.cpuprofile");
      writeFileSync(out, JSON.stringify(profile));
      const rows = selfTimes(profile);
      const idle = rows.filter((r) => /^\((idle|program|garbage collector)\)/.test(r.fn)).reduce((n, r) => n + r.share, 0);
      console.log(`${fmt(load.rps)} requests/s over ${values.seconds} s; ${profile.samples.length} samples; idle/program/GC ${(idle * 100).toFixed(1)}%; profile in ${out}\n`);
      console.log("self time  function");
      for (const r of rows.slice(0, Number(values.top))) console.log(`${(r.share * 100).toFixed(2).padStart(8)}%  ${r.fn}`);
    });
  } finally {
    await dispose();
  }
}

await main();
