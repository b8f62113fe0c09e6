/**
 * Starts the real thing for black-box tests: two origin servers (scripts/origin-server.mjs) and
 * `wrangler dev` (workerd) on free loopback ports, with a fresh Durable Object state in a temp dir.
 * Each origin records what it received (`hits`), so a test can check what the router forwarded.
 * `stop()` ends wrangler's whole process group (wrangler, its workerd children) and removes the
 * temp dir.
 *
 * @example
 * const router = await startRouter({ initialPercent: 10 });
 * try {
 *   const res = await fetch(router.routerUrl, { headers: { "x-user-id": "alice" } });
 *   res.headers.get("x-origin"); // "legacy" or "new"
 * } finally {
 *   await router.stop();
 * }
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort, LOOPBACK, waitFor } from "../../scripts/lib/net.mjs";
import { startGroup } from "../../scripts/lib/processes.mjs";
import { waitUntil } from "../../scripts/lib/wait.mjs";
import { startOrigin } from "../../scripts/origin-server.mjs";

export { freePort, waitUntil };

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");
/** The command-line tool, as npm links it. */
const TOOL = join(ROOT, "bin", "edge-router.mjs");
const HOST = LOOPBACK;

/** wrangler dev's first start compiles the worker and boots workerd: seconds, more on a busy machine. */
const READY_TIMEOUT_MS = 90_000;
/** How long wrangler gets to exit after SIGTERM before its process group is killed. */
const STOP_GRACE_MS = 3_000;
/** A port found free can be taken by someone else before wrangler binds it: start again this often. */
const START_ATTEMPTS = 3;

/** A request as one origin received it (from origin-server.mjs's `onRequest`). */
export interface OriginHit {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** When the origin received it (ms since the epoch, this machine's clock). */
  at: number;
}

export interface Router {
  /** The router's base URL, e.g. `http://127.0.0.1:54321` (no trailing slash). */
  routerUrl: string;
  /** Same as `routerUrl`. */
  url: string;
  /** Where the admin API and dashboard answer: `url`, or the same port on ADMIN_HOSTNAME when that var is set. */
  adminUrl: string;
  /** The admin API's bearer token (passed as `--var ADMIN_TOKEN`, overriding any .dev.vars). */
  adminToken: string;
  /** The two origins' base URLs (the seeded rollout's `origins`, usable as is in a rollout config). */
  origins: { legacy: string; new: string };
  /** Requests each origin received, in order of arrival. */
  hits: { legacy: OriginHit[]; new: OriginHit[] };
  /** Everything wrangler printed so far (stdout and stderr): one JSON line per proxied request. */
  output: () => string;
  /** A request to the admin API (`path` relative to <prefix>/api) with the admin token; JSON body when given. */
  admin: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;
  /** Stops wrangler (its whole process group) and the origins, and removes the state dir. Idempotent. */
  stop: () => Promise<void>;
}

export interface RouterOptions {
  /** INITIAL_PERCENT of the seeded "default" rollout. @default 0 */
  initialPercent?: number;
  /** More `--var`s (they override the defaults above, e.g. `{ NEW_ORIGIN: "" }`). */
  vars?: Record<string, string>;
  /** Make the new origin fail every Nth echo request with a 503. */
  newFailEvery?: number;
}

export async function startRouter(options: RouterOptions = {}): Promise<Router> {
  const hits = { legacy: [] as OriginHit[], new: [] as OriginHit[] };
  const legacy = await startOrigin({ name: "legacy", onRequest: (r) => hits.legacy.push(r) });
  const next = await startOrigin({ name: "new", failEvery: options.newFailEvery ?? 0, onRequest: (r) => hits.new.push(r) });
  const adminToken = `e2e-${crypto.randomUUID()}`;
  const vars: Record<string, string> = {
    LEGACY_ORIGIN: legacy.url,
    NEW_ORIGIN: next.url,
    INITIAL_PERCENT: String(options.initialPercent ?? 0),
    ADMIN_TOKEN: adminToken,
    ...options.vars,
  };

  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      const started = await startWrangler(vars);
      const adminUrl = started.adminUrl;
      const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
        fetch(`${adminUrl}${vars.ADMIN_PATH_PREFIX || "/__admin"}/api${path}`, {
          method,
          headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      let stopped: Promise<void> | undefined;
      const stop = () =>
        (stopped ??= (async () => {
          await started.stop();
          await Promise.all([legacy.close(), next.close()]);
        })());
      return { routerUrl: started.url, url: started.url, adminUrl, adminToken, origins: { legacy: legacy.url, new: next.url }, hits, output: started.output, admin, stop };
    } catch (error) {
      lastError = error as Error;
      if (!(error instanceof PortTaken)) break;
    }
  }
  await Promise.all([legacy.close(), next.close()]);
  throw lastError;
}

class PortTaken extends Error {}

/**
 * One `wrangler dev` on fresh ports and a fresh state dir, answering HTTP when this resolves. Its
 * process group is killed with the test process if the test never calls `stop()` (scripts/lib/processes.mjs).
 */
async function startWrangler(vars: Record<string, string>): Promise<{ url: string; adminUrl: string; output: () => string; stop: () => Promise<void> }> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), "edge-router-e2e-"));
  const args = ["dev", "--ip", HOST, "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", stateDir, "--show-interactive-dev-session=false"];
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  const wrangler = await startGroup(join(BIN, "wrangler"), args, {
    cwd: ROOT,
    // node_modules/.bin first: wrangler needs the Node 22 the project installs, not an older one on PATH.
    env: { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ""}`, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    graceMs: STOP_GRACE_MS,
  });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= wrangler.stop().then(() => rmSync(stateDir, { recursive: true, force: true })));

  const url = `http://${HOST}:${port}`;
  const adminUrl = vars.ADMIN_HOSTNAME ? `http://${vars.ADMIN_HOSTNAME}:${port}` : url;
  // A wrangler that exited will not answer: stop waiting at once.
  const exited = new AbortController();
  void wrangler.exited.then(() => exited.abort(new Error("wrangler dev exited")));
  try {
    // The API description is public and names the router: an answer from it means workerd runs our worker.
    await waitFor(`${adminUrl}${vars.ADMIN_PATH_PREFIX || "/__admin"}/api/openapi.json`, {
      ready: (status, body) => status === 200 && body.includes('"openapi"'),
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 200,
      signal: exited.signal,
    });
  } catch {
    await stop();
    if (!exited.signal.aborted) throw new Error(`wrangler dev did not answer within ${READY_TIMEOUT_MS / 1000} s:\n${wrangler.output()}`);
    const { code, signal } = await wrangler.exited;
    const message = `wrangler dev exited (${code ?? signal}) before answering:\n${wrangler.output()}`;
    throw /Address already in use/i.test(wrangler.output()) ? new PortTaken(message) : new Error(message);
  }
  return { url, adminUrl, output: wrangler.output, stop };
}

/** What one request as a user saw: which origin answered (its `x-origin` header), and when it started and ended. */
export interface Hit {
  origin: string;
  status: number;
  startedAt: number;
  endedAt: number;
}

/** One request as user `user` (header `x-user-id`), body read to the end. */
export async function hit(router: Router, user: string, path = "/"): Promise<Hit> {
  const startedAt = Date.now();
  const res = await fetch(`${router.url}${path}`, { headers: { "x-user-id": user, accept: "application/json" } });
  await res.arrayBuffer();
  return { origin: res.headers.get("x-origin") ?? "none", status: res.status, startedAt, endedAt: Date.now() };
}

/**
 * Waits until requests through the router are decided on config `version` or later (read from the
 * admin-only debug header), so a test need not guess how long propagation takes.
 */
export async function waitForVersion(router: Router, version: number, timeoutMs = 5_000): Promise<void> {
  let seen = "";
  await waitUntil(
    async () => {
      const res = await fetch(`${router.url}/`, {
        headers: { "x-user-id": "version-probe", "x-rollout-debug": "1", "x-rollout-token": router.adminToken, accept: "application/json" },
      });
      await res.arrayBuffer();
      seen = res.headers.get("x-rollout-decision") ?? "";
      const match = seen.match(/version=(\d+)/);
      return match !== null && Number(match[1]) >= version;
    },
    { timeoutMs, message: () => `the router to reach config version ${version} (last decision: ${seen || "none"})` },
  );
}

/** What one run of the command-line tool printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** More environment variables, or other values for the defaults below. */
  env?: Record<string, string>;
  /** What the tool reads on stdin. @default "" */
  input?: string;
  /** @default 30000 */
  timeoutMs?: number;
}

/**
 * Runs the tool (bin/edge-router.mjs, with the Node of node_modules) as an operator would against
 * `router`: its URL and admin token from the environment, plain text (NO_COLOR, and vitest's
 * FORCE_COLOR removed: the assertions read text), no X-Actor.
 */
export function runCli(router: Router, args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, EDGE_ROUTER_URL: router.url, EDGE_ROUTER_TOKEN: router.adminToken, NO_COLOR: "1", EDGE_ROUTER_ACTOR: "", ...options.env };
    delete env.FORCE_COLOR;
    const child = execFile(join(BIN, "node"), [TOOL, ...args], { cwd: ROOT, env, timeout: options.timeoutMs ?? 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(options.input ?? "");
  });
}
