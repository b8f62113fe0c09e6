#!/usr/bin/env node
// `npm run deploy -- --env staging|production [options]`: checks the environment's config, then
// runs `wrangler deploy --env NAME`. The checks (scripts/lib/deploy-checks.ts) read the
// environment's effective config through wrangler's own reader, so they see exactly what wrangler
// would upload, and the secrets already set on its Worker (`wrangler secret list`). Any problem
// is named with what to change, and nothing is deployed. README "Deploy to Cloudflare".
//
//   --env NAME            the wrangler environment (required: the top level is the local config)
//   --dry-run             the checks, then `wrangler deploy --dry-run` (bundles, uploads nothing)
//   --secrets-file FILE   secrets uploaded with this version (NAME=value lines or JSON; a first deploy needs one)
//   --message TEXT        the version's message in `wrangler versions list` (what a rollback shows)
//   --config FILE         another wrangler.toml (default: ./wrangler.toml)
//   --skip-secrets-check  deploy without listing the Worker's secrets (said in the report)
//
// Exit codes: 0 deployed (or dry run passed), 1 a check failed (nothing deployed), 2 usage, else
// wrangler deploy's own.
//
// Test-only: EDGE_ROUTER_DEPLOY_SECRETS_STUB=<file.json> stands for `wrangler secret list` (no
// network, no account): an array as wrangler prints it (`[{ "name": "ADMIN_TOKEN" }]`),
// `{ "workerExists": false }` for a Worker not deployed yet, or `{ "error": "..." }` for a listing
// that failed.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, stripVTControlCharacters } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
const childEnv = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` };
const SECRETS_STUB = "EDGE_ROUTER_DEPLOY_SECRETS_STUB";
const EXIT = { ok: 0, checks: 1, usage: 2 };

function usage(message) {
  console.error(`deploy: ${message}\nusage: npm run deploy -- --env staging|production [--dry-run] [--secrets-file FILE] [--message TEXT] [--config FILE] [--skip-secrets-check]`);
  process.exit(EXIT.usage);
}

/** The checks are TypeScript that shares the router's own modules (readEnvConfig): bundled in memory. */
async function loadChecks() {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    stdin: { contents: 'export * from "./scripts/lib/deploy-checks";\nexport * from "./scripts/lib/deploy-config";\n', resolveDir: root, loader: "ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    write: false,
    logLevel: "silent",
  });
  return import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].text).toString("base64")}`);
}

/** Runs wrangler (Node 22 from node_modules first on the PATH), its output captured. */
function wranglerOutput(args) {
  return new Promise((done) => {
    const child = spawn(join(bin, "wrangler"), args, { cwd: root, env: { ...childEnv, WRANGLER_SEND_METRICS: "false" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => done({ code, stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr) }));
  });
}

/** wrangler's last error line(s), without its decorations. */
function wranglerError(text) {
  const lines = text
    .split("\n")
    .map((l) => l.replace(/^\s*✘\s*\[ERROR\]\s*/, "").trim())
    .filter((l) => l && !/^(⛅️|─|🪵)/u.test(l));
  const message = lines.slice(-3).join(" ");
  // Its first sentence says what is wrong; the rest is advice the report gives in its own words.
  return message.match(/^.*?[.!](?=\s|$)/)?.[0] ?? (message || "no output");
}

/** The names of the secrets set on the environment's Worker, or why they could not be listed. */
async function listSecrets(checks, env, config) {
  const stub = process.env[SECRETS_STUB];
  if (stub) {
    const answer = JSON.parse(readFileSync(stub, "utf8"));
    if (Array.isArray(answer)) return { state: "listed", names: checks.secretNamesFromListing(JSON.stringify(answer)), workerExists: true };
    if (answer.workerExists === false) return { state: "listed", names: [], workerExists: false };
    return { state: "unlisted", why: String(answer.error) };
  }
  const { code, stdout, stderr } = await wranglerOutput(["secret", "list", "--env", env, "--config", config, "--format", "json"]);
  if (code === 0) {
    try {
      return { state: "listed", names: checks.secretNamesFromListing(stdout.slice(stdout.indexOf("["))), workerExists: true };
    } catch (error) {
      return { state: "unlisted", why: `unexpected output: ${error.message}` };
    }
  }
  if (/not found\.\s+If this is a new Worker/.test(stdout + stderr)) return { state: "listed", names: [], workerExists: false };
  return { state: "unlisted", why: wranglerError(`${stdout}\n${stderr}`) };
}

function readSecretsFile(checks, path) {
  if (!path) return undefined;
  if (!existsSync(path)) usage(`--secrets-file ${path}: no such file`);
  try {
    return { path, values: checks.parseSecretsFile(readFileSync(path, "utf8"), process.env) };
  } catch (error) {
    usage(`--secrets-file ${path}: ${error.message}`);
  }
}

let args;
try {
  args = parseArgs({
    options: {
      env: { type: "string" },
      "dry-run": { type: "boolean" },
      "secrets-file": { type: "string" },
      message: { type: "string" },
      config: { type: "string" },
      "skip-secrets-check": { type: "boolean" },
    },
  }).values;
} catch (error) {
  usage(error.message);
}
if (Number(process.versions.node.split(".")[0]) < 22) usage(`wrangler needs Node 22 (this is ${process.version}): run it as npm run deploy`);
const config = resolve(args.config ?? "wrangler.toml");
if (!existsSync(config)) usage(`${config}: no such file`);
const dryRun = args["dry-run"] === true;

const checks = await loadChecks();
const wrangler = await import("wrangler");
let target;
let base;
try {
  const declared = Object.keys(wrangler.experimental_readRawConfig({ config }).rawConfig.env ?? {});
  const envProblems = checks.checkEnvironment(args.env, declared);
  if (envProblems.length) usage(envProblems[0].message);
  base = checks.baseFromWrangler(wrangler.unstable_readConfig({ config }, { hideWarnings: true }));
  target = checks.targetFromWrangler(wrangler.unstable_readConfig({ config, env: args.env }), args.env);
} catch (error) {
  console.error(`deploy: wrangler cannot read ${config}: ${error.message}`);
  process.exit(EXIT.checks);
}

const secrets = args["skip-secrets-check"] ? { state: "skipped" } : await listSecrets(checks, args.env, config);
const findings = checks.checkDeploy({ target, base, secrets, secretsFile: readSecretsFile(checks, args["secrets-file"]) });
console.log(checks.formatReport(target, findings, dryRun));
if (findings.some((f) => f.level === "error")) process.exit(EXIT.checks);

const deploy = ["deploy", "--env", args.env, "--config", config];
if (dryRun) deploy.push("--dry-run");
if (args["secrets-file"]) deploy.push("--secrets-file", args["secrets-file"]);
if (args.message) deploy.push("--message", args.message);
const child = spawn(join(bin, "wrangler"), deploy, { cwd: root, env: childEnv, stdio: "inherit" });
child.on("close", (code) => process.exit(code ?? 1));
