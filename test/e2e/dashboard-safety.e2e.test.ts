/**
 * The dashboard in a real browser, on what could hurt: operator-supplied text (a description, a
 * kill reason) is shown as text and never runs; the page's CSP is enforced (no violation while it
 * works normally, an HTML string sink refused outright by Trusted Types); and the global kill
 * switch asks first, while Escape in the dialog never counts as a yes.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser } from "./browser";
import { startRouter, type Router } from "./harness";

/** Markup that would set `window.__pwned` if any of it were parsed as HTML. */
const PAYLOAD = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><svg onload="window.__pwned=3">`;

let router: Router;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  router = await startRouter({ initialPercent: 10 });
  await router.admin("PATCH", "/rollouts/default", { description: `desc ${PAYLOAD}` });
  await router.admin("POST", "/rollouts/default/kill", { reason: `reason ${PAYLOAD}` });
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await router?.stop();
});

it("shows markup in a description and a kill reason as text, and runs none of it", async () => {
  await page.goto(`${router.url}/__admin/`);
  await page.fill("#token", router.adminToken);
  await page.click("#login-form button");
  const card = page.locator('[data-rollout="default"]');
  await expect.poll(() => card.locator('[data-testid="status"]').textContent()).toBe("killed");
  await expect.poll(() => page.locator("#audit tr").first().textContent()).toContain(`reason ${PAYLOAD}`);

  const text = (await card.textContent()) ?? "";
  expect(text).toContain(`desc ${PAYLOAD}`);
  expect(text).toContain(`Killed: reason ${PAYLOAD}`);
  expect(await page.locator("main img, main script, main svg[onload]").count()).toBe(0);
  expect(await page.evaluate("window.__pwned")).toBeUndefined();
  // A full refresh cycle ran under the CSP without a single violation or error.
  expect(problems).toEqual([]);
});

it("refuses to parse a string as HTML even if page code tried (Trusted Types required)", async () => {
  const outcome = await page.evaluate(`(() => {
    try { document.body.insertAdjacentHTML("beforeend", "<b id=injected>x</b>"); return "inserted"; }
    catch (e) { return e.name; }
  })()`);
  expect(outcome).toBe("TypeError");
  expect(await page.locator("#injected").count()).toBe(0);
  // The browser logs that refusal as a console error; the next test starts from a clean slate.
  expect(problems).toEqual([expect.stringContaining("TrustedHTML")]);
  problems.length = 0;
});

it("turns the global kill switch on after confirmation, and Escape in the dialog changes nothing", async () => {
  await page.click("#kill-all");
  await page.locator("#confirm").waitFor({ state: "visible" });
  await page.fill("#confirm-reason", "incident 42");
  await page.click("#confirm-ok");
  await expect.poll(() => page.locator('[data-testid="global-kill"]').textContent(), { timeout: 10_000 }).toMatch(/GLOBAL KILL SWITCH ON.*Reason: incident 42/);
  expect(await page.locator("#kill-all").isHidden()).toBe(true);

  // The last dialog closed with "ok"; cancelling this one with Escape must not count as a yes.
  // The page starts a confirmed write (fetch) while it handles the dialog's close event; so record
  // every write it starts, and wait for a task queued by a close listener registered after the
  // page's own: once it runs, the page has handled the close, and a write would have been started.
  await page.evaluate(`(() => {
    const original = window.fetch;
    window.__writes = [];
    window.fetch = (input, init) => {
      if ((init?.method ?? "GET") !== "GET") window.__writes.push(init.method + " " + input);
      return original(input, init);
    };
  })()`);
  await page.locator("#resume-all").click();
  await page.locator("#confirm").waitFor({ state: "visible" });
  await page.evaluate(`(() => {
    window.__closeHandled = new Promise((resolve) =>
      document.getElementById("confirm").addEventListener("close", () => setTimeout(resolve, 0), { once: true }));
  })()`);
  await page.keyboard.press("Escape");
  await page.evaluate("window.__closeHandled");
  expect(await page.evaluate("window.__writes")).toEqual([]);
  const list = (await (await router.admin("GET", "/rollouts")).json()) as { globalKill: { killed: boolean } };
  expect(list.globalKill.killed).toBe(true);
  expect(await page.locator("#resume-all").isVisible()).toBe(true);
  expect(problems).toEqual([]);
});
