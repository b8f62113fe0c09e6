/**
 * The dashboard in a real browser (Chromium from @sparticuz/chromium, driven by playwright-core) against a real
 * `wrangler dev`: sign in, see the rollout, kill it with a reason, see the status and the audit
 * entry change, and check through the proxy that traffic now goes to legacy.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser } from "./browser";
import { hit, startRouter, waitForVersion, type Router } from "./harness";

let router: Router;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  router = await startRouter({ initialPercent: 40 });
  // Some traffic, so that the health table and the chart have something to show.
  await router.admin("PATCH", "/rollouts/default", {
    description: "New checkout backend",
    stages: [
      { percent: 40, holdSeconds: 600 },
      { percent: 75, holdSeconds: 600 },
      { percent: 100, holdSeconds: 0 },
    ],
    guard: { windowSeconds: 60, minRequests: 20, maxErrorRate: 0.05 },
    // The test traffic sends no canary header: the rule shows on the card and routes none of it.
    rules: [{ name: "canary-header", when: [{ header: "canary", equals: "true" }], variant: "new" }],
  });
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 15; i++) await hit(router, `dash-${w}-${i}`);
    }),
  );
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 960 } });
});

afterAll(async () => {
  await browser?.close();
  await router?.stop();
});

it("signs in with the token, kills the rollout with a reason, and the proxy follows", async () => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${router.url}/__admin/`);
  await page.fill("#token", "wrong-token");
  await page.click("#login-form button");
  await expect.poll(() => page.textContent("#login-error")).toMatch(/refused \(401\)/);

  await page.fill("#token", router.adminToken);
  await page.click("#login-form button");
  const card = page.locator('[data-rollout="default"]');
  await card.waitFor();
  await expect.poll(() => card.locator('[data-testid="status"]').textContent()).toBe("live");
  expect(await card.locator('[data-testid="percent"]').textContent()).toBe("40%");
  await expect.poll(() => card.locator('[data-testid="stage"]').textContent()).toMatch(/stage 1 of 3 \(40%\)/);
  // The token is in sessionStorage, not in a cookie or the URL.
  expect(await page.evaluate("document.cookie")).toBe("");
  expect(page.url()).not.toContain(router.adminToken);
  expect(await page.evaluate(`sessionStorage.getItem("edge-router-admin-token")`)).toBe(router.adminToken);
  await expect.poll(() => card.locator("tbody tr").count()).toBe(2);
  expect(await card.locator('[data-testid="rules"] li').allTextContents()).toEqual(['canary-header header canary = "true" → new']);
  expect(await page.textContent('[data-testid="whoami"]')).toBe("signed in as admin (read, operate, admin, evaluate)");

  if (process.env.UPDATE_SCREENSHOT === "1") {
    mkdirSync(join(import.meta.dirname, "..", "..", "docs"), { recursive: true });
    await page.screenshot({ path: join(import.meta.dirname, "..", "..", "docs", "dashboard.png"), fullPage: true });
  }

  await card.locator('button[data-action="kill"]').click();
  await page.locator("#confirm").waitFor({ state: "visible" });
  await page.fill("#confirm-reason", "checkout errors in EU");
  await page.click("#confirm-ok");
  await expect.poll(() => card.locator('[data-testid="status"]').textContent(), { timeout: 10_000 }).toBe("killed");
  await expect.poll(() => page.locator("#audit tr").first().textContent()).toMatch(/admin\s*kill\s*default.*checkout errors in EU/);

  // The proxy follows once its snapshot holds the kill (the version the admin API now reports).
  const killed = (await (await router.admin("GET", "/rollouts/default")).json()) as { version: number };
  await waitForVersion(router, killed.version);
  for (const user of ["a", "b", "c", "d", "e", "f"]) expect((await hit(router, `after-${user}`)).origin).toBe("legacy");
  expect(errors).toEqual([]);
});

it("tells the operator when someone else changed the rollout (412) and shows the new state", async () => {
  // Hold the page on the state it has now (killed, 40%) while someone else changes the rollout.
  const stale = await (await router.admin("GET", "/rollouts")).text();
  const listUrl = `${router.url}/__admin/api/rollouts`;
  await page.route(listUrl, (route) => route.fulfill({ status: 200, contentType: "application/json", body: stale }));
  await router.admin("POST", "/rollouts/default/resume", {});
  await router.admin("PATCH", "/rollouts/default", { percent: 45 });

  const card = page.locator('[data-rollout="default"]');
  await card.locator('input[data-field="percent"]').fill("60");
  await card.locator('button[data-action="set"]').click();
  await page.click("#confirm-ok");
  await expect.poll(() => page.locator("#messages").textContent(), { timeout: 10_000 }).toMatch(/someone else changed this rollout since you loaded it \(now version \d+\)/);

  // Once the page reads the real state again, it shows the other operator's change, not ours.
  await page.unroute(listUrl);
  await expect.poll(() => card.locator('[data-testid="percent"]').textContent(), { timeout: 10_000 }).toBe("45%");
  expect(await card.locator('[data-testid="status"]').textContent()).toBe("live");
  const current = (await (await router.admin("GET", "/rollouts/default")).json()) as { config: { percent: number } };
  expect(current.config.percent).toBe(45);
});

it("kills even when the rollout changed since the page loaded: a kill never fails on a stale version", async () => {
  await router.admin("POST", "/rollouts/default/resume", {});
  const card = page.locator('[data-rollout="default"]');
  await expect.poll(() => card.locator('[data-testid="status"]').textContent(), { timeout: 10_000 }).toBe("live");
  // Freeze what the page shows, then let the rollout move on (as a stage advance would).
  const stale = await (await router.admin("GET", "/rollouts")).text();
  const listUrl = `${router.adminUrl}/__admin/api/rollouts`;
  await page.route(listUrl, (route) => route.fulfill({ status: 200, contentType: "application/json", body: stale }));
  await router.admin("PATCH", "/rollouts/default", { percent: 47 });
  await card.locator('button[data-action="kill"]').click();
  await page.locator("#confirm").waitFor({ state: "visible" });
  await page.fill("#confirm-reason", "stale page, urgent kill");
  await page.click("#confirm-ok");
  await page.unroute(listUrl);
  await expect.poll(async () => ((await (await router.admin("GET", "/rollouts/default")).json()) as { status: string }).status, { timeout: 10_000 }).toBe("killed");
  expect(await page.locator("#messages").textContent()).not.toMatch(/someone else changed/);
});

it("signs in with a read-only named token: shows its name and scopes, and a kill is refused (403) and changes nothing", async () => {
  await router.admin("POST", "/rollouts/default/resume", {});
  const created = (await (await router.admin("POST", "/tokens", { name: "viewer", scopes: ["read"] })).json()) as { token: string };
  await page.click("#logout");
  await page.fill("#token", created.token);
  await page.click("#login-form button");
  await expect.poll(() => page.textContent('[data-testid="whoami"]')).toBe("signed in as viewer (read)");
  const card = page.locator('[data-rollout="default"]');
  await expect.poll(() => card.locator('[data-testid="status"]').textContent(), { timeout: 10_000 }).toBe("live");
  await card.locator('button[data-action="kill"]').click();
  await page.locator("#confirm").waitFor({ state: "visible" });
  await page.fill("#confirm-reason", "not allowed");
  await page.click("#confirm-ok");
  await expect.poll(() => page.locator("#messages").textContent(), { timeout: 10_000 }).toMatch(/failed \(403\): .*"operate" scope.*"viewer"/);
  expect(((await (await router.admin("GET", "/rollouts/default")).json()) as { status: string }).status).toBe("live");
});
