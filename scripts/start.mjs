#!/usr/bin/env node
// `npm start`: the router under `wrangler dev` (the real workerd runtime) on loopback, with two demo
// origins, legacy and new, and a demo admin token from .dev.vars. Ctrl-C stops everything.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startOrigin } from "./origin-server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const HOST = "127.0.0.1";

/** The port if free on loopback, else a free one. */
async function freePort(preferred) {
  const tryListen = (port) =>
    new Promise((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(undefined));
      server.listen(port, HOST, () => {
        const { port: bound } = server.address();
        server.close(() => resolve(bound));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0));
}

/** ADMIN_TOKEN from .dev.vars, creating the file with a fresh demo token if there is none. */
function adminToken() {
  const file = join(root, ".dev.vars");
  if (existsSync(file)) {
    const match = readFileSync(file, "utf8").match(/^\s*ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?\s*$/m);
    if (match) return match[1].trim();
    const token = `demo-${randomBytes(12).toString("hex")}`;
    writeFileSync(file, `${readFileSync(file, "utf8").replace(/\n?$/, "\n")}ADMIN_TOKEN=${token}\n`);
    return token;
  }
  const token = `demo-${randomBytes(12).toString("hex")}`;
  writeFileSync(file, `# Local secrets for wrangler dev (not committed). The demo admin token:\nADMIN_TOKEN=${token}\n`);
  return token;
}

const token = adminToken();
// The demo starts from a clean control plane, so the seeded rollout points at this run's origins
// (a stored config governs over the vars). KEEP_STATE=1 keeps the previous run's rollouts.
const stateDir = join(root, ".wrangler", "demo-state");
if (process.env.KEEP_STATE !== "1") rmSync(stateDir, { recursive: true, force: true });
const legacy = await startOrigin({ name: "legacy", port: await freePort(8701) });
const next = await startOrigin({ name: "new", port: await freePort(8702) });
const port = await freePort(8787);
const inspector = await freePort(9229);
const router = `http://${HOST}:${port}`;

const wrangler = spawn(
  join(root, "node_modules", ".bin", "wrangler"),
  [
    "dev",
    "--ip", HOST,
    "--port", String(port),
    "--inspector-port", String(inspector),
    "--persist-to", stateDir,
    "--var", `LEGACY_ORIGIN:${legacy.url}`,
    "--var", `NEW_ORIGIN:${next.url}`,
    "--var", "INITIAL_PERCENT:10",
  ],
  { cwd: root, stdio: ["inherit", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, detached: true },
);

let bannerShown = false;
function banner() {
  if (bannerShown) return;
  bannerShown = true;
  const api = `${router}/__admin/api`;
  const b = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
  console.log(`
${b("edge-router is running")} (wrangler dev, the real workerd runtime)

  Router      ${router}/
  Dashboard   ${router}/__admin/        (sign in with the admin token)
  Admin API   ${api}
  Admin token ${token}                  (from .dev.vars)
  Origins     legacy ${legacy.url}   new ${next.url}
  Rollout     "default" matches every request; 10% of users go to new

${b("1. See a response as a user")} (try other ids: some land on new)
  curl -s -H 'x-user-id: alice' ${router}/

${b("2. Move the percentage")}
  curl -s -X PATCH ${api}/rollouts/default -H 'authorization: Bearer ${token}' -H 'content-type: application/json' -d '{"percent": 25}'

${b("3. Kill it")} (everyone on legacy within a second)
  curl -s -X POST ${api}/rollouts/default/kill -H 'authorization: Bearer ${token}' -H 'content-type: application/json' -d '{"reason": "demo"}'

Each request prints one JSON line below (the same line \`wrangler tail\` shows). Ctrl-C stops everything.
`);
}

function pipe(stream, out) {
  let buffer = "";
  stream.on("data", (chunk) => {
    out.write(chunk);
    buffer = (buffer + chunk.toString()).slice(-4096);
    if (!bannerShown && /Ready on http/.test(buffer)) setTimeout(banner, 300);
  });
}
pipe(wrangler.stdout, process.stdout);
pipe(wrangler.stderr, process.stderr);

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  try {
    process.kill(-wrangler.pid, "SIGTERM");
  } catch {}
  await Promise.all([legacy.close(), next.close()]);
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
wrangler.on("exit", (code) => {
  if (!stopping) {
    console.error(`wrangler dev exited (${code}).`);
    stop(code ?? 1);
  }
});
