// Bare `workerd serve` (not `wrangler dev`, whose local proxy layers cost about ten times more
// than the worker): the binary wrangler ships, a generated capnp config, start and stop.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { freePort, waitFor } from "../../scripts/lib/net.mjs";
import { startGroup } from "../../scripts/lib/processes.mjs";

/** Bearer token of the router's admin API in every bench instance. */
export const ADMIN_TOKEN = "bench-token";
/**
 * How the bench starts its servers (workerd, nginx), each in its own process group (so that its
 * CPU time can be read per group, lib/cpu.mjs). stdout goes to /dev/null: workerd writes one log
 * line per request, and collecting it would load this process, which also serves the origins. The
 * tail of stderr is kept for error reports. A server gets 200 ms to exit on SIGTERM.
 * @type {import("../../scripts/lib/processes.mjs").GroupOptions}
 */
export const BENCH_CHILD = { stdio: ["ignore", "ignore", "pipe"], keepOutput: 20_000, graceMs: 200 };
/** The compatibility date of wrangler.toml, so bare workerd runs the bundle as deployed. */
const COMPATIBILITY_DATE = "2026-10-01";

/**
 * The workerd binary wrangler depends on.
 * @param {string} root repository root
 * @returns {string}
 */
export function workerdBinary(root) {
  const require = createRequire(join(root, "node_modules", "wrangler", "package.json"));
  let binary;
  try {
    binary = join(dirname(require.resolve("@cloudflare/workerd-linux-64/package.json")), "bin", "workerd");
  } catch {
    binary = join(dirname(require.resolve("workerd/package.json")), "bin", "workerd");
  }
  if (!existsSync(binary)) throw new Error(`workerd not found (${binary}): run npm install first.`);
  return binary;
}

/** @param {string} binary @returns {string} e.g. "workerd 2026-10-23" */
export function workerdVersion(binary) {
  return spawnSync(binary, ["--version"], { encoding: "utf8" }).stdout.trim();
}

/**
 * A capnp config serving `bundle` on 127.0.0.1:`port`, with text bindings and, when `durable`,
 * the RolloutState Durable Object on SQLite storage in `doDir`.
 * @param {{ port: number, bundle: string, bindings: Record<string, string>, doDir: string, durable?: boolean }} options
 * @returns {string}
 */
export function workerdConfig({ port, bundle, bindings, doDir, durable = true }) {
  const q = JSON.stringify; // capnp string literals read like JSON ones
  const bindingLines = Object.entries(bindings).map(([k, v]) => `    (name = ${q(k)}, text = ${q(v)}),`);
  if (durable)
    bindingLines.push(`    (name = "ROLLOUT_STATE", durableObjectNamespace = "RolloutState"),`, `    (name = "CONFIG_REPLICA", durableObjectNamespace = "ConfigReplica"),`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .main),
    (name = "internet", network = (allow = ["public", "private", "local"])),
    ${durable ? `(name = "do-disk", disk = (path = ${q(doDir)}, writable = true)),` : ""}
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const main :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed ${q(bundle)}) ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  bindings = [
${bindingLines.join("\n")}
  ],
  ${
    durable
      ? `durableObjectNamespaces = [
    (className = "RolloutState", uniqueKey = "edge-router-RolloutState", enableSql = true),
    (className = "ConfigReplica", uniqueKey = "edge-router-ConfigReplica", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do-disk"),`
      : ""
  }
  globalOutbound = "internet",
);
`;
}

/**
 * @typedef {{ url: string, pid: number, startMs: number, stop: () => Promise<void> }} Workerd
 */

/**
 * Starts workerd on a fresh directory `.bench/<name>` and waits for a first proxied response.
 * @param {import("./context.mjs").BenchContext} ctx
 * @param {string} name
 * @param {{ bundle: string, bindings: Record<string, string>, durable?: boolean, args?: string[] }} options
 *   args: more arguments of `workerd serve` (e.g. `--inspector-addr` for a CPU profile)
 * @returns {Promise<Workerd>} startMs: from spawning workerd to that first response
 */
export async function startWorkerd(ctx, name, { bundle, bindings, durable = true, args = [] }) {
  const port = await freePort();
  const dir = join(ctx.work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "do"), { recursive: true });
  const config = join(dir, "config.capnp");
  // capnp embeds files relative to the config: copy the bundle next to it.
  copyFileSync(bundle, join(dir, "worker.js"));
  writeFileSync(config, workerdConfig({ port, bundle: "worker.js", bindings, doDir: join(dir, "do"), durable }));
  const t0 = Date.now();
  const proc = await startGroup(ctx.workerd(), ["serve", config, "--experimental", ...args], { ...BENCH_CHILD, cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/__origin/bytes?n=10`, { headers: { "x-user-id": "probe" } });
  } catch (error) {
    await proc.stop();
    throw new Error(`${name}: workerd did not serve: ${error.message}\n${proc.output()}`);
  }
  return { url, pid: proc.pid, startMs: Date.now() - t0, stop: proc.stop };
}

/**
 * Starts workerd, runs `fn` with it, stops it whatever happens.
 * @template T
 * @param {import("./context.mjs").BenchContext} ctx
 * @param {string} name
 * @param {Parameters<typeof startWorkerd>[2]} options
 * @param {(w: Workerd) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withWorkerd(ctx, name, options, fn) {
  const w = await startWorkerd(ctx, name, options);
  try {
    return await fn(w);
  } finally {
    await w.stop();
  }
}

/**
 * Runs `fn` with `keep`, which registers a started server (anything with `stop()`) and returns it;
 * every kept server is stopped after `fn`, newest first, however `fn` ends. For benchmarks that
 * keep several contenders running at once.
 * @template T
 * @param {(keep: <S extends { stop: () => Promise<void> }>(server: S) => S) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withServers(fn) {
  /** @type {Array<{ stop: () => Promise<void> }>} */
  const running = [];
  try {
    return await fn((server) => {
      running.push(server);
      return server;
    });
  } finally {
    for (const server of running.reverse()) await server.stop();
  }
}

/**
 * Bindings of a router instance pointed at the bench origins.
 * @param {{ legacy: string, new: string }} origins
 * @param {Record<string, string>} [extra] e.g. { INITIAL_PERCENT: "50" }
 */
export function routerBindings(origins, extra = {}) {
  return { LEGACY_ORIGIN: origins.legacy, NEW_ORIGIN: origins.new, INITIAL_PERCENT: "25", ADMIN_TOKEN, ...extra };
}

/**
 * One call to the router's admin API.
 * @param {string} url the router's base URL
 * @param {string} method
 * @param {string} path under /__admin/api
 * @param {unknown} [body]
 * @returns {Promise<{ status: number, body: any }>}
 */
export async function admin(url, method, path, body) {
  const res = await fetch(`${url}/__admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}
