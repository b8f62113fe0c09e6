/**
 * Shadow traffic against a real `wrangler dev`: every user stays on legacy while their catalog
 * requests are mirrored to a new backend whose price of item 2 is off by one; users see only
 * legacy's answers, the new backend gets the mirrors without the users' cookies, and the operator
 * sees the mismatch (rate, pointer, both values) in the admin API, the CLI and the dashboard.
 */
import { execFile } from "node:child_process";
import http from "node:http";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startOrigin } from "../../scripts/origin-server.mjs";
import { launchBrowser } from "./browser";
import { startRouter, waitForVersion, waitUntil, type Router } from "./harness";

const ROOT = join(import.meta.dirname, "..", "..");
const USERS = 24;

let router: Router;
let drift: Awaited<ReturnType<typeof startOrigin>>;
let browser: Browser | undefined;

interface Received {
  method: string;
  url: string;
  headers: Record<string, string>;
}

beforeAll(async () => {
  router = await startRouter({ initialPercent: 0 });
  drift = await startOrigin({ name: "new", catalogDrift: 1, record: true });
  const res = await router.admin("PATCH", "/rollouts/default", {
    origins: { legacy: router.origins.legacy, new: drift.url },
    shadow: { percent: 100, compare: { ignore: ["/meta/requestId"] } },
  });
  expect(res.status).toBe(200);
  await waitForVersion(router, ((await res.json()) as { version: number }).version);
});

afterAll(async () => {
  await browser?.close();
  await router?.stop();
  await drift?.close();
});

it("serves every user legacy's catalog while new's differing answers are counted, with the price as the example", async () => {
  for (let i = 0; i < USERS; i++) {
    const res = await fetch(`${router.url}/__origin/catalog`, { headers: { "x-user-id": `shopper-${i}`, cookie: `session=secret-${i}` } });
    const body = (await res.json()) as { items: Array<{ price: number }> };
    expect(res.headers.get("x-origin")).toBe("legacy");
    expect(body.items[2]!.price).toBe(7.25);
  }
  // The new backend got a mirror per request, marked as such, without the users' cookies.
  const mirrors = await waitUntil(
    async () => {
      const got = (await (await fetch(`${drift.url}/__origin/received`)).json()) as Received[];
      return got.filter((r) => r.url === "/__origin/catalog").length >= USERS && got;
    },
    { timeoutMs: 10_000, message: "the mirrors to reach the new backend" },
  );
  expect(mirrors.every((r) => r.headers["x-rollout-shadow"] === "1" && r.headers.cookie === undefined && r.method === "GET")).toBe(true);

  const report = await waitUntil(
    async () => {
      const body = (await (await router.admin("GET", "/rollouts/default/shadow?window=300")).json()) as {
        totals: { compared: number; mismatched: number; mismatchRate: number };
        examples: Array<{ pointer: string; legacyValue: string; newValue: string; path: string }>;
      };
      return body.totals.compared >= USERS && body;
    },
    { timeoutMs: 15_000, message: "the comparisons to reach the control plane" },
  );
  expect(report.totals).toMatchObject({ mismatched: report.totals.compared, mismatchRate: 1 });
  expect(report.examples[0]).toMatchObject({ path: "/__origin/catalog", pointer: "/items/2/price", legacyValue: "7.25", newValue: "8.25" });
});

/** A GET that takes the bytes as they come on the wire (no decompression). */
function rawGet(url: string, user: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { "x-user-id": user, "accept-encoding": "gzip" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

it("hands a shadowed user legacy's gzip-encoded answer byte for byte, length included", async () => {
  const direct = await rawGet(`${router.origins.legacy}/__origin/gzip`, "direct");
  const shadowed = await rawGet(`${router.url}/__origin/gzip`, "gzip-user");
  expect(shadowed.status).toBe(200);
  expect(shadowed.headers).toMatchObject({ "content-encoding": "gzip", "content-length": String(direct.body.length), "x-origin": "legacy" });
  expect(shadowed.body.equals(direct.body)).toBe(true);
  // It was mirrored all the same.
  await waitUntil(
    async () => ((await (await fetch(`${drift.url}/__origin/received`)).json()) as Received[]).some((r) => r.url === "/__origin/gzip" && r.headers["x-user-id"] === "gzip-user"),
    { timeoutMs: 10_000, message: "the mirror of the gzip request" },
  );
});

it("prints the mismatches with edge-router shadow", async () => {
  const run = await new Promise<{ code: number; stdout: string }>((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, EDGE_ROUTER_URL: router.url, EDGE_ROUTER_TOKEN: router.adminToken, NO_COLOR: "1" };
    delete env.FORCE_COLOR;
    execFile(join(ROOT, "node_modules", ".bin", "node"), [join(ROOT, "bin", "edge-router.mjs"), "shadow", "default"], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^default {2}shadow 100% of legacy users {2}last 300 s {2}100\.0% mismatched/);
  expect(run.stdout).toMatch(/GET \/__origin\/catalog {2}body \/items\/2\/price\n {4}legacy 7\.25\n {4}new {4}8\.25/);
});

it("shows the mismatch rate and the newest example on the rollout's card in the dashboard", async () => {
  browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1280, height: 960 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${router.url}/__admin/`);
  await page.fill("#token", router.adminToken);
  await page.click("#login-form button");
  const card = page.locator('[data-rollout="default"]');
  await card.waitFor();
  await expect.poll(() => card.locator('[data-testid="shadow-rate"]').textContent(), { timeout: 10_000 }).toBe("100.0% mismatched");
  expect(await card.locator('[data-testid="shadow"]').textContent()).toContain("100% of legacy users mirrored to new");
  const examples = await card.locator('[data-testid="shadow-example"]').allTextContents();
  expect(examples.length).toBeGreaterThan(0);
  expect(examples.every((e) => /GET \/__origin\/(catalog|gzip) · body \/items\/2\/price: 7\.25 → 8\.25$/.test(e))).toBe(true);
  expect(errors).toEqual([]);
});
