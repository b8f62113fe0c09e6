#!/usr/bin/env node
// Launcher of the `edge-router` command-line tool (cli/main.ts).
//
// The tool is TypeScript that imports the worker's own modules (schemas, hash, decision) with
// extensionless paths, which Node cannot load as is. So it is bundled with esbuild into
// node_modules/.cache/edge-router/cli.mjs, and rebuilt only when one of the files that went into
// the bundle (listed next to it by esbuild's metafile) or this launcher is newer than the bundle.
import { mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const launcher = fileURLToPath(import.meta.url);
const root = join(dirname(launcher), "..");
const cacheDir = join(root, "node_modules", ".cache", "edge-router");
const bundle = join(cacheDir, "cli.mjs");
const inputsFile = join(cacheDir, "inputs.json");

function upToDate() {
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(inputsFile, "utf8"));
    return [launcher, ...inputs.map((f) => join(root, f))].every((f) => statSync(f).mtimeMs <= built);
  } catch {
    return false; // no bundle yet, or an input was deleted
  }
}

async function build() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    process.stderr.write("edge-router: esbuild is missing; run `npm install` in the edge-router repository\n");
    process.exit(1);
  }
  const started = new Date();
  const result = await esbuild.build({
    entryPoints: [join(root, "cli", "main.ts")],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    metafile: true,
    logLevel: "error",
    legalComments: "none",
  });
  mkdirSync(cacheDir, { recursive: true });
  // Written under a temporary name and renamed, so a concurrent run never imports half a file.
  const tmp = `${bundle}.${process.pid}.tmp`;
  writeFileSync(tmp, result.outputFiles[0].contents);
  // Stamped with the build's start: a source saved during the build still counts as newer.
  utimesSync(tmp, started, started);
  writeFileSync(`${inputsFile}.${process.pid}.tmp`, JSON.stringify(Object.keys(result.metafile.inputs)));
  renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
  renameSync(tmp, bundle);
}

if (!upToDate()) await build();
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
