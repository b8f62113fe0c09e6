/**
 * The `edge-router` command-line tool as an operator runs it (a child process through
 * bin/edge-router.mjs), against a real `wrangler dev` router. Where a scenario needs the router to
 * change between the tool's read and its write, or to be older than the tool, a small forwarding
 * proxy in front of the real router arranges it; every answer still comes from the real router.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, hit, runCli, startRouter, waitForVersion, type CliOptions, type Router } from "./harness";

const dir = mkdtempSync(join(tmpdir(), "edge-router-cli-"));
let router: Router;

const cli = (args: string[], options: CliOptions = {}) => runCli(router, args, options);

async function rollout(id: string): Promise<{ version: number; config: { percent: number; killed: boolean } } | undefined> {
  const res = await router.admin("GET", `/rollouts/${id}`);
  return res.status === 404 ? undefined : ((await res.json()) as never);
}

/** Requests as `user` until the answer comes from `origin` (the change propagates within a second). */
const until = (user: string, origin: "legacy" | "new") => expect.poll(async () => (await hit(router, user)).origin, { timeout: 2000, interval: 100 }).toBe(origin);

/**
 * A forwarding proxy in front of the real router. `intercept` may act before a request is
 * forwarded (e.g. make a concurrent change) or answer it itself (e.g. as an older router would).
 */
// biome-ignore lint/suspicious/noConfusingVoidType: an interceptor that answers nothing lets the request through
async function proxy(intercept: (method: string, path: string) => Promise<{ status: number; body: unknown } | void>): Promise<{ url: string; close: () => void }> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const own = await intercept(req.method!, req.url!);
    if (own) return res.writeHead(own.status, { "content-type": "application/problem+json" }).end(JSON.stringify(own.body));
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== "host" && k !== "content-length")) as Record<string, string>;
    const upstream = await fetch(router.url + req.url, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
    res.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "application/json",
      ...(upstream.headers.get("etag") ? { etag: upstream.headers.get("etag")! } : {}),
    });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
}

beforeAll(async () => {
  router = await startRouter({ initialPercent: 10 });
  await cli(["--help"]); // bundles the tool once, so that each test times only itself
});

afterAll(async () => {
  await router?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("edge-router CLI against a real router", () => {
  it("shows every rollout as a table, one in detail, and the API's JSON for scripts", async () => {
    const table = await cli(["status"]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(table.stdout).toMatch(/^ID\s+STATUS\s+PERCENT\s+STAGE\s+VERSION\s+UPDATED \(UTC\)\s+BY\s+NOTE$/m);
    expect(table.stdout).toMatch(/^default\s+live\s+10%\s+-\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+seed$/m);
    expect((await cli(["status", "default"])).stdout).toMatch(/^default {2}live {2}10% on new\n {2}version {5}1, updated .* UTC by seed\n/);
    const json = JSON.parse((await cli(["status", "--json"])).stdout);
    expect(json).toMatchObject({ version: 1, globalKill: { killed: false }, rollouts: [{ id: "default", status: "live", config: { percent: 10 } }] });
  });

  it("sets the percentage with If-Match, says old → new and the version, and notes --actor in the audit log", async () => {
    const res = await cli(["set", "default", "25", "--actor", "cli-test"]);
    expect(res).toMatchObject({ code: 0, stdout: "default: 10% → 25% (version 1 → 2)\n" });
    const audit = (await (await router.admin("GET", "/audit?limit=1")).json()) as { entries: Array<{ actor: string; action: string }> };
    expect(audit.entries[0]).toMatchObject({ actor: "admin", note: "X-Actor: cli-test", action: "patch" });
    const bad = await cli(["set", "default", "101"]);
    expect(bad).toMatchObject({ code: 2, stderr: 'edge-router: percent must be between 0 and 100, got "101"\n' });
    expect((await rollout("default"))!.config.percent).toBe(25);
  });

  it("kills and resumes one rollout and the global switch, and the proxy follows", async () => {
    await cli(["set", "default", "100"]);
    await until("u1", "new");
    const killed = await cli(["kill", "default", "--reason", "cli drill"]);
    expect(killed.stdout).toMatch(/^default: killed \("cli drill"\), version \d+: every request starting within a second goes to legacy$/m);
    await until("u1", "legacy");
    expect((await cli(["status"])).stdout).toMatch(/^default\s+killed\s+100%.*killed: cli drill$/m);
    expect((await cli(["resume", "default"])).stdout).toMatch(/^default: resumed, version \d+: 100% of users on new again$/m);
    await until("u1", "new");

    expect((await cli(["kill", "--all", "--reason", "incident 4711"])).stdout).toMatch(
      /^GLOBAL KILL SWITCH ON: every rollout goes to legacy \("incident 4711", by admin at .*\); version \d+$/m,
    );
    await until("u1", "legacy");
    const status = await cli(["status"]);
    expect(status.stdout.split("\n")[0]).toMatch(/^GLOBAL KILL SWITCH ON/);
    expect(status.stdout).toMatch(/^default\s+killed .* global kill switch$/m);
    expect((await cli(["resume", "--all"])).stdout).toMatch(/^global kill switch off, version \d+/);
    await until("u1", "new");
  });

  it("applies config as code: --dry-run only shows the diff, then it applies, then says unchanged", async () => {
    const file = join(dir, "rollouts.json");
    const checkout = { id: "checkout", match: { pathPrefixes: ["/checkout"] }, origins: router.origins, percent: 5, allowlist: { new: ["qa-1"] } };
    writeFileSync(file, JSON.stringify([checkout]));
    const dry = await cli(["apply", file, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^checkout: create\n {2}percent {5}5% on new\n {2}match {7}any host, \/checkout\n/);
    expect(dry.stdout).toMatch(/dry run: nothing was changed \(1 to create, 0 to update, 0 unchanged\)\n$/);
    expect(await rollout("checkout")).toBeUndefined();

    expect((await cli(["apply", file, "--actor", "ci"])).stdout).toMatch(/^checkout: created, version (\d+)$/m);
    expect(await rollout("checkout")).toMatchObject({ config: { percent: 5 } });
    expect((await cli(["apply", file])).stdout).toBe(`checkout: unchanged (version ${(await rollout("checkout"))!.version})\nnothing to apply\n`);

    writeFileSync(file, JSON.stringify({ rollouts: [{ ...checkout, percent: 20, allowlist: { new: ["qa-2", "qa-3"] } }] }));
    const diff = await cli(["apply", file, "--dry-run"]);
    expect(diff.stdout).toMatch(/^checkout: update \(version \d+\)\n {2}percent: 5 → 20\n {2}allowlist\.new: \+2 \(qa-2, qa-3\) -1 \(qa-1\)\ndry run/);
    expect((await rollout("checkout"))!.config.percent).toBe(5);
    expect((await cli(["apply", file])).code).toBe(0);
    expect((await rollout("checkout"))!.config.percent).toBe(20);

    // The kill switch is not config as code: a killed rollout stays killed through an apply.
    await cli(["kill", "checkout", "--reason", "hold"]);
    writeFileSync(file, JSON.stringify({ ...checkout, percent: 30 }));
    expect((await cli(["apply", file])).stdout).toMatch(/^ {2}percent: 20 → 30\n/m);
    expect((await rollout("checkout"))!.config).toMatchObject({ percent: 30, killed: true });
    await cli(["resume", "checkout"]);
  });

  it("refuses an apply when the rollout changed after it was read (412), and the other change survives", async () => {
    const file = join(dir, "stale.json");
    writeFileSync(file, JSON.stringify({ id: "checkout", match: { pathPrefixes: ["/checkout"] }, origins: router.origins, percent: 40 }));
    let raced = false;
    const front = await proxy(async (method, path) => {
      if (method === "PUT" && path === "/__admin/api/rollouts/checkout" && !raced) {
        raced = true; // another operator, between the tool's read and its write
        await router.admin("PATCH", "/rollouts/checkout", { percent: 33 }, { "x-actor": "someone-else" });
      }
    });
    try {
      const res = await cli(["apply", file], { env: { EDGE_ROUTER_URL: front.url } });
      expect(res.code).toBe(6);
      expect(res.stderr).toMatch(/^edge-router: rollout "checkout" was changed by someone else since you read it \(version \d+ → \d+\); nothing was written, re-run$/m);
      expect((await rollout("checkout"))!.config.percent).toBe(33);
    } finally {
      front.close();
    }
  });

  it("refuses an invalid file with field errors, exits 2 and changes nothing", async () => {
    const before = await (await router.admin("GET", "/rollouts")).text();
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify([{ id: "checkout", origins: { legacy: "ftp://x", new: router.origins.new }, percent: 250, colour: "red" }]));
    const res = await cli(["apply", file]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe("");
    expect(res.stderr).toBe(
      [
        `edge-router: ${file} is invalid; nothing was changed:`,
        '  /0/origins/legacy (rollout "checkout"): must use http or https, got ftp',
        '  /0/percent (rollout "checkout"): must be between 0 and 100',
        '  /0/colour (rollout "checkout"): unknown field: colour',
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "broken.json"), "{ nope");
    expect(await cli(["apply", join(dir, "broken.json")])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/broken\.json is invalid; nothing was changed:\n {2}not valid JSON/),
    });
    expect((await cli(["apply", join(dir, "missing.json")])).stderr).toMatch(/cannot read .*missing\.json: no such file/);
    expect(await (await router.admin("GET", "/rollouts")).text()).toBe(before);
  });

  it("predicts a user's variant and bucket offline exactly as the edge decides it", async () => {
    await cli(["set", "default", "37.5"]);
    await waitForVersion(router, (await rollout("default"))!.version);
    for (const user of ["alice", "bob", "carol", "dave", "erin", "user-42"]) {
      const predicted = JSON.parse((await cli(["bucket", "default", user, "--json"])).stdout) as { variant: string; bucket: number; threshold: number; reason: string };
      const res = await fetch(`${router.url}/`, { headers: { "x-user-id": user, "x-rollout-debug": "1", "x-rollout-token": router.adminToken } });
      await res.arrayBuffer();
      expect(res.headers.get("x-rollout-decision")).toMatch(
        new RegExp(`^rollout=default; variant=${predicted.variant}; reason=${predicted.reason}; bucket=${predicted.bucket}; threshold=${predicted.threshold}; `),
      );
    }
    const file = join(dir, "offline.json");
    writeFileSync(file, JSON.stringify({ id: "default", origins: router.origins, percent: 37.5 }));
    const offline = await cli(["bucket", "default", "alice", "--file", file], { env: { EDGE_ROUTER_URL: "", EDGE_ROUTER_TOKEN: "" } });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/^alice → new {2}\(bucket\)\n {2}why {7}bucket 698 < threshold 3750 \(37\.5% × 100\)\n/);
    expect(offline.stdout).toMatch(/^ {2}in new {4}from 6\.99% on/m);
  });

  it("pauses, continues and promotes a staged rollout; promoting past the last stage is refused", async () => {
    const hold = 3600; // nothing moves by itself during the test
    await router.admin("PATCH", "/rollouts/checkout", { stages: [33, 40, 60].map((percent) => ({ percent, holdSeconds: hold })) });
    expect((await cli(["pause", "checkout", "--reason", "db migration"])).stdout).toMatch(/^checkout: paused at 33%, version \d+/);
    expect((await cli(["status"])).stdout).toMatch(/^checkout\s+paused\s+33%\s+1\/3 .* paused: db migration$/m);
    expect((await cli(["continue", "checkout"])).stdout).toMatch(/^checkout: continued at 33%, version \d+/);
    expect((await cli(["promote", "checkout"])).stdout).toMatch(/^checkout: promoted 33% → 40%, version \d+ \(live; /);
    expect((await cli(["promote", "checkout"])).stdout).toMatch(/^checkout: promoted 40% → 60%, version \d+ \(complete\)$/m);
    const again = await cli(["promote", "checkout"]);
    expect(again).toMatchObject({ code: 7, stderr: 'edge-router: the router refused it (409): rollout "checkout" is at its last stage (60%)\n' });
  });

  it("says so when the router is too old for a command (404 for the endpoint)", async () => {
    const old = await proxy(async (method, path) => {
      if (/\/(promote|health)(\?|$)/.test(path))
        return { status: 404, body: { type: "urn:edge-router:not-found", title: "Not found", status: 404, detail: `No admin endpoint ${method} ${path.split("?")[0]}.` } };
    });
    try {
      const promote = await cli(["promote", "checkout"], { env: { EDGE_ROUTER_URL: old.url } });
      expect(promote.code).toBe(8);
      expect(promote.stderr).toMatch(/^edge-router: this router does not support promote \(upgrade it\)/);
      const watch = await cli(["watch", "checkout", "--count", "1"], { env: { EDGE_ROUTER_URL: old.url } });
      expect(watch.code).toBe(8);
      expect(watch.stderr).toMatch(/^edge-router: this router does not support watch/);
    } finally {
      old.close();
    }
  });

  it("shows per-variant health and the guard's verdict with watch", async () => {
    for (let i = 0; i < 10; i++) await hit(router, `w-${i}`);
    const res = await cli(["watch", "default", "--count", "2", "--interval", "0.2"]);
    expect(res.code).toBe(0);
    expect(res.stdout.match(/^VARIANT\s+REQUESTS\s+USERS\s+5XX\s+ERROR RATE\s+4XX\s+P50\s+P95\s+P99$/gm)).toHaveLength(2);
    expect(res.stdout).toMatch(/^legacy\s+\d+\s+\d+\s+0\s+/m);
    expect(res.stdout).toMatch(/^guard {2}no-guard: No guard configured\.$/m);
  });

  it("formats wrangler tail output read from stdin, one line per request, skipping the rest", async () => {
    const line = (o: Record<string, unknown>) =>
      JSON.stringify({ event: "proxy", rollout: "default", bucket: null, threshold: null, method: "GET", path: "/", latencyMs: 3, ...o });
    const event = (message: string, timestamp: number) =>
      JSON.stringify(
        {
          outcome: "ok",
          scriptName: "edge-router",
          exceptions: [],
          logs: [{ message: [message], level: "log", timestamp }],
          eventTimestamp: timestamp,
          event: { request: { url: "http://x/" } },
        },
        null,
        4,
      );
    const input = [
      event(line({ variant: "new", reason: "bucket", bucket: 698, threshold: 1000, status: 200, latencyMs: 23, path: "/cart" }), Date.parse("2026-11-22T12:00:01.250Z")),
      "Connected to edge-router, waiting for logs...",
      event(line({ variant: "legacy", reason: "killed", detail: "rollout", status: 502, method: "POST", path: "/pay", retriedOnLegacy: true }), Date.parse("2026-11-22T12:00:02Z")),
      event("not ours", Date.parse("2026-11-22T12:00:03Z")),
      line({ variant: "legacy", reason: "bucket", bucket: 5000, threshold: 1000, status: 404 }),
    ].join("\n");
    const res = await cli(["tail"], { input });
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe("12:00:01.250  default           new     bucket          698<1000    200     23 ms  GET /cart");
    expect(lines[1]).toBe("12:00:02.000  default           legacy  killed:rollout              502      3 ms  POST /pay  retried-on-legacy");
    expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}default {11}legacy {2}bucket {10}5000≥1000 {3}404 {6}3 ms {2}GET \/$/);
    expect((await cli(["tail", "--errors"], { input })).stdout.trimEnd().split("\n")).toHaveLength(1);
  });

  it("fails with a clear message and a distinct exit code for each kind of failure", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await cli(["status"], { env: { EDGE_ROUTER_URL: closed } })).toMatchObject({
      code: 3,
      stderr: `edge-router: cannot reach the router at ${closed}: connection refused (is it running, and is the port right?)\n`,
    });
    const wrong = await cli(["status"], { env: { EDGE_ROUTER_TOKEN: "wrong" } });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/^edge-router: unauthorized \(401\): .*Set EDGE_ROUTER_TOKEN/);
    expect((await cli(["status"], { env: { EDGE_ROUTER_TOKEN: "" } })).code).toBe(4);
    expect(await cli(["kill", "ghost"])).toMatchObject({ code: 5, stderr: expect.stringMatching(/No rollout has the id "ghost"/) });
    const tooLong = await cli(["kill", "default", "--reason", "x".repeat(501)]);
    expect(tooLong.code).toBe(7);
    expect(tooLong.stderr).toMatch(/^edge-router: the router refused it \(422\): .*\n {2}\/reason: /);
    expect((await rollout("default"))!.config.killed).toBe(false);
    // Pointed at something that is not the router (an origin), the token is never sent.
    const seenBefore = router.hits.legacy.length;
    expect(await cli(["status"], { env: { EDGE_ROUTER_URL: router.origins.legacy } })).toMatchObject({
      code: 9,
      stderr: expect.stringMatching(/is not an edge-router admin API, so the admin token was not sent/),
    });
    expect(router.hits.legacy.slice(seenBefore).some((h) => JSON.stringify(h.headers).includes(router.adminToken))).toBe(false);
    // A wrong prefix would send the request through the router to an origin: refused the same way.
    const wrongPrefix = await cli(["kill", "default", "--prefix", "/ops"]);
    expect(wrongPrefix).toMatchObject({ code: 9, stderr: expect.stringMatching(/admin prefix .*now \/ops/) });
    expect(router.hits.legacy.slice(seenBefore).some((h) => JSON.stringify(h.headers).includes(router.adminToken))).toBe(false);
    expect((await rollout("default"))!.config.killed).toBe(false);
    expect((await cli(["frobnicate"])).code).toBe(1);
    expect((await cli(["status"], { env: { EDGE_ROUTER_URL: "" } })).stderr).toMatch(/no router URL: set EDGE_ROUTER_URL/);
    const help = await cli(["set", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^edge-router set: set the share of users on new/);
  });

  it("creates a scoped token (secret once, on stdout), acts under its name, is refused beyond its scopes, and stops working once revoked", async () => {
    const created = await cli(["token", "create", "ci-deploy", "--scopes", "read,operate", "--expires", "2099-12-31T00:00:00Z"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^er_[0-9a-f]{16}_[0-9a-f]{64}\n$/);
    expect(created.stderr).toMatch(/^created token ci-deploy \(id [0-9a-f]{16}; scopes read, operate; expires 2099-12-31 00:00:00 UTC; version \d+\)\nwarning: .*shown only once/);
    const ci = { EDGE_ROUTER_TOKEN: created.stdout.trim() };
    const id = created.stdout.split("_")[1]!;

    const list = await cli(["token", "list"]);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+ci-deploy\\s+read,operate\\s+.*\\s+admin\\s+2099-12-31 00:00:00$`, "m"));
    expect(list.stdout).not.toContain(created.stdout.trim().split("_")[2]!);

    expect((await cli(["set", "default", "30", "--actor", "alice@example.com"], { env: ci })).code).toBe(0);
    const audit = (await (await router.admin("GET", "/audit?limit=1")).json()) as { entries: Array<{ actor: string; note?: string }> };
    expect(audit.entries[0]).toMatchObject({ actor: "ci-deploy", note: "X-Actor: alice@example.com" });
    const forbidden = await cli(["token", "list"], { env: ci });
    expect(forbidden).toMatchObject({ code: 10, stderr: expect.stringMatching(/^edge-router: forbidden \(403\): .*"admin" scope/) });
    expect(await cli(["token", "create", "x", "--scopes", "root"])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--scopes/) });

    expect(await cli(["token", "revoke", id])).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^revoked token ${id} `)) });
    expect((await cli(["status"], { env: ci })).code).toBe(4);
    expect((await cli(["token", "revoke", id])).code).toBe(5);
  });
});
