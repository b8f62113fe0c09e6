#!/usr/bin/env node
// `npm run simulate`: bundles simulate/main.ts (TypeScript importing the project's own modules with
// extensionless paths, which Node cannot load as is) with esbuild into .cache, then runs it.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "node_modules", ".cache", "edge-router", "simulate.mjs");
mkdirSync(dirname(out), { recursive: true });
// A million requests a second keep many promises alive at once in today's design (requests wait):
// the simulation runs in a child with a larger heap.
if (!process.env.EDGE_ROUTER_SIM_CHILD) {
  const { spawnSync } = await import("node:child_process");
  const r = spawnSync(process.execPath, ["--max-old-space-size=16384", fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, EDGE_ROUTER_SIM_CHILD: "1" },
  });
  process.exit(r.status ?? 1);
}
await build({ entryPoints: [join(root, "simulate", "main.ts")], bundle: true, platform: "node", format: "esm", target: "node20", outfile: out, logLevel: "error" });
process.chdir(root);
await import(pathToFileURL(out).href);
