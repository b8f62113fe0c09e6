#!/usr/bin/env node
// Launcher of the `edge-router` command-line tool. The tool is TypeScript that shares the worker's
// own modules (schemas, hash), so it is bundled with esbuild on first use and whenever a source
// file changed, into node_modules/.cache/edge-router/cli.mjs.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "node_modules", ".cache", "edge-router", "cli.mjs");

function newestSource() {
  let newest = 0;
  for (const dir of ["cli", "worker", "durable-objects"]) {
    const walk = (d) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (p.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
      }
    };
    walk(join(root, dir));
  }
  return newest;
}

if (!existsSync(out) || statSync(out).mtimeMs < newestSource()) {
  const { build } = await import("esbuild");
  mkdirSync(dirname(out), { recursive: true });
  await build({
    entryPoints: [join(root, "cli", "entry.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: out,
    logLevel: "error",
    external: ["cloudflare:workers"],
  });
}
const { main } = await import(pathToFileURL(out).href);
process.exitCode = await main(process.argv.slice(2));
