/**
 * ADMIN_HOSTNAME under a real wrangler dev: the admin API and dashboard answer only on that host;
 * on the proxied site's host the prefix is plain traffic (so the site's scripts, including the new
 * code being rolled out, cannot reach the dashboard or read its token). `localhost` and
 * `127.0.0.1` reach the same router, as two hosts would in production.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRouter, type Router } from "./harness";

let router: Router;

beforeAll(async () => {
  router = await startRouter({ vars: { ADMIN_HOSTNAME: "localhost" } });
});

afterAll(async () => {
  await router?.stop();
});

it("answers the admin API and dashboard on ADMIN_HOSTNAME", async () => {
  expect(router.adminUrl).toMatch(/^http:\/\/localhost:\d+$/);
  const list = await router.admin("GET", "/rollouts");
  expect(list.status).toBe(200);
  expect(((await list.json()) as { rollouts: unknown[] }).rollouts.length).toBeGreaterThan(0);
  const page = await fetch(`${router.adminUrl}/__admin/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("edge-router");
});

it("proxies the admin prefix to the origin on every other host, token and all", async () => {
  const before = router.hits.legacy.length + router.hits.new.length;
  const res = await fetch(`${router.url}/__admin/api/rollouts`, { headers: { authorization: `Bearer ${router.adminToken}`, "x-user-id": "u1", accept: "application/json" } });
  expect(res.status).toBe(200);
  const echo = (await res.json()) as { origin: string; path: string; headers: Record<string, string> };
  expect(["legacy", "new"]).toContain(echo.origin);
  expect(echo.path).toBe("/__admin/api/rollouts");
  // Proxied like any request: the admin token itself never reaches the origin.
  expect(echo.headers.authorization).toBeUndefined();
  expect(router.hits.legacy.length + router.hits.new.length).toBe(before + 1);
  const page = await fetch(`${router.url}/__admin/`, { headers: { "x-user-id": "u1" } });
  expect(await page.text()).not.toContain("edge-router admin");
});
