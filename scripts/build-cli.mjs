#!/usr/bin/env node
// `npm run build:cli` (and the `prepare` lifecycle script, so `npm ci` and `npm pack` run it):
// bundles the `edge-router` tool (cli/main.ts and the worker modules it shares: schemas, hash,
// decision, zod) with esbuild into one self-contained ES module, dist/cli/edge-router.mjs, that
// Node 20+ runs as is. bin/edge-router.mjs runs that file; a packed install needs nothing else.
//
// Next to it, dist/cli.inputs.json lists the files that went into it (esbuild's metafile), so the
// launcher can tell inside this repository whether the bundle is older than its sources. It sits
// outside dist/cli on purpose: package.json's `files` ships dist/cli and it means nothing elsewhere.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The built tool: what bin/edge-router.mjs runs. */
export const CLI_BUNDLE = join(root, "dist", "cli", "edge-router.mjs");
/** The licences of the third-party code inside the bundle (zod), shipped next to it. */
export const CLI_LICENSES = join(root, "dist", "cli", "THIRD-PARTY-LICENSES.txt");
/** The repository files the bundle was built from (relative to the root), for the staleness check. */
export const CLI_INPUTS = join(root, "dist", "cli.inputs.json");
/** The oldest Node the bundle runs on; package.json's `engines` says the same. */
export const NODE_TARGET = "node20";

// cli/main.ts only exports `main`; this entry (no file: esbuild reads it from memory) runs it,
// with the exit code as the process's.
const ENTRY_NAME = "edge-router-entry.ts";
const ENTRY = `import { main } from "./cli/main";
process.exitCode = await main(process.argv.slice(2));
`;

/** esbuild itself, or a message saying how to get it (it is a devDependency of this repository). */
async function loadEsbuild() {
  try {
    return await import("esbuild");
  } catch {
    throw new Error("esbuild is missing; run `npm install` in the edge-router repository to build the tool");
  }
}

/**
 * Bundles the tool in memory. Unminified: the tool prints a stack trace for an unexpected error,
 * and one that names real functions is worth the extra bytes.
 * @returns the bundle's text and the repository files that went into it
 */
export async function bundleCli() {
  const esbuild = await loadEsbuild();
  const result = await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: root, sourcefile: ENTRY_NAME, loader: "ts" },
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: NODE_TARGET,
    banner: { js: "#!/usr/bin/env node" },
    write: false,
    metafile: true,
    logLevel: "silent",
    legalComments: "none", // the licences go into THIRD-PARTY-LICENSES.txt instead
  });
  const inputs = Object.keys(result.metafile.inputs).filter((file) => file !== ENTRY_NAME);
  return { text: result.outputFiles[0].text, inputs };
}

/** The LICENSE text of every npm package that went into the bundle, one after the other. */
export function thirdPartyLicenses(inputs) {
  const packages = new Set();
  for (const file of inputs) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (match) packages.add(match[1]);
  }
  const sections = [...packages].sort().map((dir) => {
    const { name, version, license } = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
    const file = readdirSync(join(root, dir)).find((f) => /^licen[cs]e/i.test(f));
    const text = file ? readFileSync(join(root, dir, file), "utf8").trim() : `License: ${license}`;
    return `${name}@${version} (${license})\n\n${text}\n`;
  });
  return `The edge-router tool bundles the following packages.\n\n${sections.join("\n---\n\n")}`;
}

/** Writes under a temporary name and renames, so a concurrent run never reads half a file. */
function writeAtomically(file, contents, mode) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents, mode === undefined ? undefined : { mode });
  return () => renameSync(tmp, file);
}

/**
 * Builds dist/cli/edge-router.mjs (executable, `#!/usr/bin/env node`), its licence file and
 * dist/cli.inputs.json. The bundle is stamped with the time the build started, so a source saved
 * while it ran still counts as newer.
 * @returns the bundle's size in bytes
 */
export async function writeCli() {
  const started = new Date();
  const { text, inputs } = await bundleCli();
  mkdirSync(dirname(CLI_BUNDLE), { recursive: true });
  const commits = [
    writeAtomically(CLI_LICENSES, thirdPartyLicenses(inputs)),
    writeAtomically(CLI_INPUTS, JSON.stringify(inputs, null, 1)),
    writeAtomically(CLI_BUNDLE, text, 0o755),
  ];
  utimesSync(`${CLI_BUNDLE}.${process.pid}.tmp`, started, started);
  for (const commit of commits) commit(); // the bundle last: once it is there, its inputs list is too
  return Buffer.byteLength(text);
}

/** The files whose change means a rebuild: the inputs of the last build, and this script. */
function sources() {
  const inputs = JSON.parse(readFileSync(CLI_INPUTS, "utf8"));
  return [fileURLToPath(import.meta.url), ...inputs.map((file) => join(root, file))];
}

/** True when there is no bundle, or a file it was built from (or this script) is newer, or gone. */
export function cliIsStale() {
  try {
    const built = statSync(CLI_BUNDLE).mtimeMs;
    return sources().some((file) => statSync(file).mtimeMs > built);
  } catch {
    return true; // no bundle or no inputs list yet, or an input was deleted
  }
}

/**
 * As npm's `prepare` during an install without devDependencies (`npm ci --omit=dev`), esbuild is
 * absent and the tool is not needed: say so and let the install succeed. `npm pack` must fail
 * instead, or it would pack a package without its tool.
 */
function maySkipWithoutEsbuild() {
  return process.env.npm_lifecycle_event === "prepare" && ["ci", "install"].includes(process.env.npm_command ?? "");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const bytes = await writeCli();
    const gzipped = gzipSync(readFileSync(CLI_BUNDLE)).length;
    console.error(`${relative(root, CLI_BUNDLE)}: ${bytes} bytes, ${gzipped} gzipped`);
  } catch (error) {
    const missing = error instanceof Error && error.message.startsWith("esbuild is missing");
    if (missing && maySkipWithoutEsbuild()) {
      console.error(`edge-router: not building the command-line tool: ${error.message}`);
    } else {
      console.error(`edge-router: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  }
}
