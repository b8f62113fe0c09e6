/**
 * The `edge-router` command-line tool as an operator runs it (a child process), against a real
 * `wrangler dev`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, hit, startRouter, type Router } from "./harness";

const ROOT = join(import.meta.dirname, "..", "..");
const NODE = join(ROOT, "node_modules", ".bin", "node");
const BIN = join(ROOT, "bin", "edge-router.mjs");
let router: Router;
const dir = mkdtempSync(join(tmpdir(), "edge-router-cli-"));

function cli(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      NODE,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, EDGE_ROUTER_URL: router.url, EDGE_ROUTER_TOKEN: router.adminToken, NO_COLOR: "1", ...options.env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

beforeAll(async () => {
  router = await startRouter({ initialPercent: 10 });
  await cli(["--help"]); // builds the bundle once
});
afterAll(async () => {
  await router?.stop();
});

describe("edge-router CLI", () => {
  it("shows a status table, and JSON for scripts", async () => {
    const table = await cli(["status"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+STATUS\s+PERCENT\s+STAGE\s+VERSION\s+UPDATED\s+NOTE$/m);
    expect(table.stdout).toMatch(/^default\s+live\s+10%\s+-\s+1\s+seed /m);
    const json = JSON.parse((await cli(["status", "--json"])).stdout);
    expect(json.rollouts[0]).toMatchObject({ id: "default", config: { percent: 10 } });
  });

  it("sets the percentage with If-Match and says what changed", async () => {
    const res = await cli(["set", "default", "25", "--actor", "cli-test"]);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/^default: 10% → 25%, version \d+$/m);
    const audit = (await (await router.admin("GET", "/audit?limit=1")).json()) as { entries: Array<{ actor: string }> };
    expect(audit.entries[0]!.actor).toBe("cli-test");
    expect((await cli(["set", "default", "101"])).code).toBe(2);
  });

  it("kills and resumes, and the proxy follows", async () => {
    await cli(["set", "default", "100"]);
    expect((await cli(["kill", "default", "--reason", "cli drill"])).stdout).toMatch(/default killed: version \d+, killed, 100%/);
    await new Promise((r) => setTimeout(r, 400));
    expect((await hit(router, "u1")).origin).toBe("legacy");
    expect((await cli(["status", "default"])).stdout).toMatch(/killed: cli drill/);
    expect((await cli(["resume", "default"])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 400));
    expect((await hit(router, "u1")).origin).toBe("new");
    expect((await cli(["kill", "--all", "--reason", "drill"])).stdout).toMatch(/global kill switch on/);
    expect((await cli(["status"])).stdout).toMatch(/GLOBAL KILL SWITCH ON/);
    expect((await cli(["resume", "--all"])).code).toBe(0);
  });

  it("applies config as code: diff on --dry-run, then applies, then reports unchanged", async () => {
    const file = join(dir, "rollouts.json");
    const config = { id: "checkout", match: { pathPrefixes: ["/checkout"] }, origins: router.origins, percent: 5, allowlist: { new: ["qa-1"] } };
    writeFileSync(file, JSON.stringify([config]));
    const dry = await cli(["apply", file, "--dry-run"]);
    expect(dry.stdout).toMatch(/checkout \(create\)\n {2}\(new rollout\)\ndry run: nothing applied/);
    expect((await router.admin("GET", "/rollouts/checkout")).status).toBe(404);
    const applied = await cli(["apply", file]);
    expect(applied.stdout).toMatch(/checkout: applied, version \d+/);
    expect((await cli(["apply", file])).stdout).toMatch(/checkout: unchanged/);

    writeFileSync(file, JSON.stringify({ rollouts: [{ ...config, percent: 20, allowlist: { new: ["qa-1", "qa-2"] } }] }));
    const diff = await cli(["apply", file, "--dry-run"]);
    expect(diff.stdout).toMatch(/allowlist\.new: \+1 \(qa-2\)/);
    expect(diff.stdout).toMatch(/percent: 5 → 20/);
    expect((await cli(["apply", file])).code).toBe(0);
    expect(((await (await router.admin("GET", "/rollouts/checkout")).json()) as { config: { percent: number } }).config.percent).toBe(20);
  });

  it("refuses an invalid file with field errors and changes nothing", async () => {
    const before = await (await router.admin("GET", "/rollouts")).text();
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ id: "checkout", origins: { legacy: "ftp://x", new: router.origins.new }, percent: 250, colour: "red" }));
    const res = await cli(["apply", file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/is invalid; nothing was changed/);
    expect(res.stderr).toMatch(/\/origins\/legacy: must use http or https/);
    expect(res.stderr).toMatch(/\/percent: must be between 0 and 100/);
    expect(res.stderr).toMatch(/unknown field: colour/);
    expect(await (await router.admin("GET", "/rollouts")).text()).toBe(before);
    writeFileSync(join(dir, "broken.json"), "{ nope");
    expect((await cli(["apply", join(dir, "broken.json")])).code).toBe(2);
  });

  it("predicts a user's bucket offline exactly as the edge decides it", async () => {
    await cli(["set", "default", "37.5"]);
    await new Promise((r) => setTimeout(r, 400));
    for (const user of ["alice", "bob", "carol", "dave", "erin"]) {
      const predicted = JSON.parse((await cli(["bucket", "default", user, "--json"])).stdout) as { variant: string; bucket: number };
      const res = await fetch(`${router.url}/`, { headers: { "x-user-id": user, "x-rollout-debug": "1", "x-rollout-token": router.adminToken } });
      const header = res.headers.get("x-rollout-decision")!;
      expect(header).toContain(`variant=${predicted.variant}`);
      expect(header).toContain(`bucket=${predicted.bucket};`);
    }
    const file = join(dir, "offline.json");
    writeFileSync(file, JSON.stringify({ id: "default", origins: router.origins, percent: 37.5 }));
    const offline = await cli(["bucket", "default", "alice", "--file", file], { env: { EDGE_ROUTER_URL: "" } });
    expect(offline.stdout).toMatch(/^alice → (new|legacy) \(bucket: bucket \d+ [<≥] 3750 \(37\.5% × 100\)\)/);
  });

  it("pauses, continues and promotes a staged rollout", async () => {
    await router.admin("PATCH", "/rollouts/checkout", { stages: [{ percent: 20, holdSeconds: 3600 }, { percent: 50, holdSeconds: 3600 }] });
    expect((await cli(["pause", "checkout"])).stdout).toMatch(/checkout paused: version \d+, paused, 20%/);
    expect((await cli(["continue", "checkout"])).stdout).toMatch(/checkout continued: version \d+, live, 20%/);
    expect((await cli(["promote", "checkout"])).stdout).toMatch(/checkout promoted: version \d+, complete, 50%/);
    const again = await cli(["promote", "checkout"]);
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/last stage/);
  });

  it("shows per-variant health once with watch --interval 0", async () => {
    for (let i = 0; i < 10; i++) await hit(router, `w-${i}`);
    const res = await cli(["watch", "default", "--interval", "0"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^VARIANT\s+REQUESTS\s+ERRORS\s+4XX\s+P50\s+P95\s+P99$/m);
    expect(res.stdout).toMatch(/^guard: no-guard/m);
  });

  it("formats wrangler tail output read from stdin", async () => {
    const event = { outcome: "ok", logs: [{ message: [JSON.stringify({ event: "proxy", rollout: "default", variant: "legacy", reason: "killed", bucket: null, status: 502, latencyMs: 3, method: "POST", path: "/pay" })], level: "log" }] };
    const res = await cli(["tail"], { input: JSON.stringify(event, null, 2) + "\n" + JSON.stringify({ event: "proxy", rollout: "default", variant: "new", reason: "bucket", bucket: 5, threshold: 10, status: 200, latencyMs: 12, method: "GET", path: "/" }) + "\n" });
    const lines = res.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/default\s+legacy killed\s+502\s+3 ms POST \/pay$/);
    expect(lines[1]).toMatch(/default\s+new\s+bucket\s+5<10\s+200\s+12 ms GET \/$/);
  });

  it("explains a write refused because someone else changed the rollout in between (412)", async () => {
    // A router whose rollout changes between the CLI's read and its write.
    const server = http.createServer((req, res) => {
      if (req.method === "GET") return res.writeHead(200, { "content-type": "application/json", etag: '"3"' }).end(JSON.stringify({ id: "default", version: 3, config: { percent: 10 } }));
      res.writeHead(412, { "content-type": "application/problem+json" }).end(JSON.stringify({ type: "urn:edge-router:version-mismatch", title: "Version mismatch", status: 412, expected: 3, current: 4 }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const res = await cli(["set", "default", "20"], { env: { EDGE_ROUTER_URL: url } });
      expect(res.code).toBe(6);
      expect(res.stderr).toMatch(/changed by someone else since you read it \(now version 4\); re-run/);
    } finally {
      server.close();
    }
  });

  it("fails clearly: unreachable router, wrong token, unknown rollout", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await cli(["status"], { env: { EDGE_ROUTER_URL: closed } });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(new RegExp(`cannot reach the router at ${closed}: ECONNREFUSED`));
    const unauthorized = await cli(["status"], { env: { EDGE_ROUTER_TOKEN: "wrong" } });
    expect(unauthorized.code).toBe(4);
    expect(unauthorized.stderr).toMatch(/unauthorized \(401\).*EDGE_ROUTER_TOKEN/);
    const missing = await cli(["kill", "ghost"]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/No rollout has the id "ghost"/);
    expect((await cli(["frobnicate"])).code).toBe(1);
  });
});
