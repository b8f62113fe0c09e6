#!/usr/bin/env node
// Launcher of the `edge-router` command-line tool: runs dist/cli/edge-router.mjs, the tool bundled
// by scripts/build-cli.mjs (one self-contained module: a packed install needs nothing else, and
// no esbuild).
//
// Inside the edge-router repository (its sources next to this file) the bundle is rebuilt first
// when it is missing or older than a file it was built from, so `npx edge-router` always runs the
// sources as they are; that build needs esbuild, a devDependency there. A packed install has no
// sources and never builds.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist", "cli", "edge-router.mjs");
const buildScript = join(root, "scripts", "build-cli.mjs");

if (existsSync(buildScript) && existsSync(join(root, "cli", "main.ts"))) {
  const { cliIsStale, writeCli } = await import(pathToFileURL(buildScript).href);
  if (cliIsStale()) {
    try {
      await writeCli();
    } catch (error) {
      process.stderr.write(`edge-router: cannot build the tool: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
  }
} else if (!existsSync(bundle)) {
  process.stderr.write(`edge-router: ${bundle} is missing; this copy of the package is incomplete (build it with \`npm run build:cli\`)\n`);
  process.exit(1);
}

// The bundle runs the command line it finds in process.argv and sets the exit code.
await import(pathToFileURL(bundle).href);
