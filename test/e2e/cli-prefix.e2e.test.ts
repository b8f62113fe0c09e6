/** The CLI against a router whose admin API lives under another ADMIN_PATH_PREFIX. */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRouter, type Router } from "./harness";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "edge-router.mjs");
let router: Router;

beforeAll(async () => {
  router = await startRouter({ vars: { ADMIN_PATH_PREFIX: "/ops/router" } });
});
afterAll(async () => {
  await router?.stop();
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, EDGE_ROUTER_URL: router.url, EDGE_ROUTER_TOKEN: router.adminToken, NO_COLOR: "1", ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

it("reaches the admin API under EDGE_ROUTER_PREFIX or --prefix", async () => {
  const viaEnv = await cli(["status", "--json"], { EDGE_ROUTER_PREFIX: "/ops/router" });
  expect(viaEnv.code, viaEnv.stderr).toBe(0);
  expect((JSON.parse(viaEnv.stdout) as { rollouts: Array<{ id: string }> }).rollouts.map((r) => r.id)).toContain("default");
  const viaFlag = await cli(["kill", "default", "--prefix", "/ops/router/", "--reason", "prefix test"], {});
  expect(viaFlag.code, viaFlag.stderr).toBe(0);
  expect((await (await router.admin("GET", "/rollouts/default")).json()) as { status: string }).toMatchObject({ status: "killed" });
});

it("never sends the token to the origin when the prefix is left at its default", async () => {
  const before = router.hits.legacy.length + router.hits.new.length;
  const wrong = await cli(["resume", "default"], {});
  expect(wrong).toMatchObject({ code: 9, stderr: expect.stringMatching(/not an edge-router admin API, so the admin token was not sent/) });
  const hits = [...router.hits.legacy, ...router.hits.new].slice(before);
  expect(hits.some((h) => JSON.stringify(h.headers).includes(router.adminToken))).toBe(false);
  expect((await (await router.admin("GET", "/rollouts/default")).json()) as { status: string }).toMatchObject({ status: "killed" });
});
