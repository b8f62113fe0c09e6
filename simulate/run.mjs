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
await build({ entryPoints: [join(root, "simulate", "main.ts")], bundle: true, platform: "node", format: "esm", target: "node20", outfile: out, logLevel: "error" });
process.chdir(root);
await import(pathToFileURL(out).href);
