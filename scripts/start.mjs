#!/usr/bin/env node
// `npm start`: the router under `wrangler dev` (the real workerd runtime) on loopback, with two demo
// origins, legacy and new, and a demo admin token from .dev.vars (created on first start).
// Ctrl-C (or SIGTERM) stops wrangler, workerd and the origins.
//
//   KEEP_STATE=1 npm start   keep the rollouts of the previous run (.wrangler/demo-state)
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { freePort, LOOPBACK, waitFor } from "./lib/net.mjs";
import { startGroup } from "./lib/processes.mjs";
import { startOrigin } from "./origin-server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
const HOST = LOOPBACK;
const PREFERRED = { legacy: 8701, new: 8702, router: 8787, inspector: 9229 };
/** How long wrangler gets to exit after SIGTERM before its process group is killed. */
const STOP_GRACE_MS = 5000;
/** How long the banner waits for the router to answer before it is shown anyway. */
const BANNER_WAIT_MS = 30_000;

/** A demo origin on `preferred` if that port is free, else on any free port. */
async function origin(name, preferred) {
  try {
    return await startOrigin({ name, port: preferred, host: HOST });
  } catch (error) {
    if (error?.code !== "EADDRINUSE" && error?.code !== "EACCES") throw error;
    return startOrigin({ name, port: 0, host: HOST });
  }
}

/**
 * A secret from .dev.vars (which wrangler dev reads too). Without the file, or without a non-empty
 * value for `name` in it, a demo value is generated and written there.
 */
function demoSecret(name, what) {
  const file = join(root, ".dev.vars");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const lines = text.split(/\r?\n/);
  const pattern = new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=\\s*(.*?)\\s*$`);
  for (const line of lines) {
    const value = line
      .match(pattern)?.[1]
      ?.replace(/^(["'])(.*)\1$/, "$2")
      .trim();
    if (value) return value;
  }
  const secret = `demo-${randomBytes(16).toString("hex")}`;
  const kept = lines.filter((line) => !new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=`).test(line));
  while (kept.length && kept.at(-1) === "") kept.pop();
  const header = text ? kept : ["# Local secrets for wrangler dev (never committed: .gitignore lists this file)."];
  writeFileSync(file, [...header, `# ${what} for the local demo (npm start):`, `${name}=${secret}`, ""].join("\n"), { mode: 0o600 });
  console.log(`Wrote a demo ${name} to ${file}`);
  return secret;
}

const token = demoSecret("ADMIN_TOKEN", "The admin API's bearer token");
demoSecret("OVERRIDE_SECRET", "The key of QA override tokens");
// The demo starts from a clean control plane so that the seeded rollout points at this run's
// origins (a stored config governs over the vars, and the ports may differ from the last run).
const stateDir = join(root, ".wrangler", "demo-state");
if (process.env.KEEP_STATE !== "1") rmSync(stateDir, { recursive: true, force: true });
const legacy = await origin("legacy", PREFERRED.legacy);
const next = await origin("new", PREFERRED.new);
const port = await freePort({ preferred: PREFERRED.router });
const inspectorPort = await freePort({ preferred: PREFERRED.inspector });
const router = `http://${HOST}:${port}`;
// The admin API and dashboard on their own host name, as production should have them
// (ADMIN_HOSTNAME): on the proxied site's host, /__admin is plain traffic for the origins.
const ADMIN_HOSTNAME = "localhost";
const adminBase = `http://${ADMIN_HOSTNAME}:${port}`;

const wrangler = await startGroup(
  join(bin, "wrangler"),
  [
    "dev",
    "--ip",
    HOST,
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    stateDir,
    // wrangler's hotkeys would read the terminal from a background process group: Ctrl-C is ours.
    "--show-interactive-dev-session=false",
    "--var",
    `LEGACY_ORIGIN:${legacy.url}`,
    "--var",
    `NEW_ORIGIN:${next.url}`,
    "--var",
    "INITIAL_PERCENT:10",
    "--var",
    `ADMIN_HOSTNAME:${ADMIN_HOSTNAME}`,
  ],
  {
    cwd: root,
    // node_modules/.bin first: wrangler needs the Node 22 the project installs, even when this
    // script was started with an older node.
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`, WRANGLER_SEND_METRICS: "false" },
    // Its own process group (startGroup), so that one signal reaches wrangler and workerd.
    graceMs: STOP_GRACE_MS,
    // Its output goes to this terminal as it comes (forward below), not into memory.
    keepOutput: 0,
  },
);

let bannerShown = false;
function banner() {
  bannerShown = true;
  const api = `${adminBase}/__admin/api`;
  const bold = (s) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s);
  const auth = `-H 'authorization: Bearer ${token}' -H 'content-type: application/json'`;
  console.log(`
${bold("edge-router is running")} (wrangler dev: the real workerd runtime, on loopback)

  Router       ${router}/
  Dashboard    ${adminBase}/__admin/        (paste the admin token to sign in; ADMIN_HOSTNAME=${ADMIN_HOSTNAME}:
               the admin API answers only on that host, so on ${HOST} /__admin is plain traffic)
  Admin token  ${token}        (from .dev.vars)
  Origins      legacy ${legacy.url}    new ${next.url}
  Rollout      "default" matches every request; 10% of users go to new${process.env.KEEP_STATE === "1" ? " (unless the kept state says otherwise)" : ""}

${bold("a) See a response as a user")} (try other ids: about one in ten lands on new)
  curl -H 'x-user-id: alice' ${router}/

${bold("b) Move the percentage")}
  curl -X PATCH ${api}/rollouts/default ${auth} -d '{"percent": 25}'

${bold("c) Kill the rollout")} (everyone on legacy within a second; POST .../resume undoes it)
  curl -X POST ${api}/rollouts/default/kill ${auth} -d '{"reason":"demo"}'

Below: wrangler's output, one JSON line per request (what \`wrangler tail\` shows). Ctrl-C stops everything.
`);
}

/**
 * Shows the banner once the router answers HTTP (wrangler says Ready a moment before), or after
 * BANNER_WAIT_MS anyway: wrangler's output below then says what is wrong.
 */
async function bannerWhenAnswering() {
  const ok = (status) => status >= 200 && status < 300;
  await waitFor(`${adminBase}/__admin/api/openapi.json`, { ready: ok, timeoutMs: BANNER_WAIT_MS, intervalMs: 200, requestTimeoutMs: 3000, signal: stopping.signal }).catch(
    () => undefined,
  );
  if (!stopping.signal.aborted) banner();
}

let readyText = "";
function forward(stream, out) {
  stream.on("data", (chunk) => {
    out.write(chunk);
    if (bannerShown || readyText === null) return;
    readyText = stripVTControlCharacters(readyText + chunk.toString()).slice(-4096);
    if (/Ready on http/.test(readyText)) {
      readyText = null;
      bannerWhenAnswering();
    }
  });
}
forward(wrangler.child.stdout, process.stdout);
forward(wrangler.child.stderr, process.stderr);

/** Aborted once stopping starts: the banner is no longer awaited. */
const stopping = new AbortController();
/** Stops wrangler's whole group (SIGTERM, then SIGKILL after STOP_GRACE_MS) and the origins. */
async function stop(code) {
  if (stopping.signal.aborted) return;
  stopping.abort();
  await wrangler.stop();
  await Promise.all([legacy.close(), next.close()]);
  process.exit(code);
}
// A second Ctrl-C does not wait for wrangler's graceful exit: the group is killed at once.
process.on("SIGINT", () => {
  if (!stopping.signal.aborted) return stop(0);
  wrangler.kill();
  process.exit(130);
});
process.on("SIGTERM", () => stop(0));
process.on("SIGHUP", () => stop(0));
wrangler.exited.then(({ code, signal }) => {
  if (stopping.signal.aborted) return;
  const status = code ?? (signal ? 1 : 0);
  console.error(`wrangler dev exited (${status})${bannerShown ? "" : " before the router was ready: see its output above"}.`);
  stop(status || 1);
});
