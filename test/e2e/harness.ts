/**
 * Starts the real thing for black-box tests: two origin servers and `wrangler dev` (workerd) on
 * free loopback ports, with a fresh Durable Object state. `stop()` ends the whole process group.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOrigin } from "../../scripts/origin-server.mjs";

const ROOT = join(import.meta.dirname, "..", "..");

export interface OriginHit {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

export interface Router {
  url: string;
  adminToken: string;
  origins: { legacy: string; new: string };
  /** Requests each origin received, in order. */
  hits: { legacy: OriginHit[]; new: OriginHit[] };
  /** Everything wrangler printed. */
  output: () => string;
  admin: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RouterOptions {
  initialPercent?: number;
  vars?: Record<string, string>;
  /** Make the new origin fail every Nth request with a 503. */
  newFailEvery?: number;
}

export async function startRouter(options: RouterOptions = {}): Promise<Router> {
  const hits = { legacy: [] as OriginHit[], new: [] as OriginHit[] };
  const legacy = await startOrigin({ name: "legacy", onRequest: (r) => hits.legacy.push(r) });
  const next = await startOrigin({ name: "new", failEvery: options.newFailEvery ?? 0, onRequest: (r) => hits.new.push(r) });
  const port = await freePort();
  const inspector = await freePort();
  const state = mkdtempSync(join(tmpdir(), "edge-router-e2e-"));
  const adminToken = `e2e-${Math.random().toString(36).slice(2)}`;
  const vars: Record<string, string> = {
    LEGACY_ORIGIN: legacy.url,
    NEW_ORIGIN: next.url,
    INITIAL_PERCENT: String(options.initialPercent ?? 0),
    ADMIN_TOKEN: adminToken,
    ...options.vars,
  };
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", state, "--show-interactive-dev-session=false"];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child: ChildProcess = spawn(join(ROOT, "node_modules", ".bin", "wrangler"), args, {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {}
    await Promise.all([legacy.close(), next.close()]);
    rmSync(state, { recursive: true, force: true });
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${child.exitCode}):\n${output}`);
    }
    try {
      const res = await fetch(`${url}/__admin/api/openapi.json`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}/__admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  return { url, adminToken, origins: { legacy: legacy.url, new: next.url }, hits, output: () => output, admin, stop };
}

/** One request as user `user`: which origin answered, and when the request started and ended. */
export async function hit(router: Router, user: string, path = "/"): Promise<{ origin: string; status: number; startedAt: number; endedAt: number }> {
  const startedAt = Date.now();
  const res = await fetch(`${router.url}${path}`, { headers: { "x-user-id": user, accept: "application/json" } });
  await res.arrayBuffer();
  return { origin: res.headers.get("x-origin") ?? "none", status: res.status, startedAt, endedAt: Date.now() };
}
