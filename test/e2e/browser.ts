/**
 * A headless Chromium for browser tests that needs no system package: `@sparticuz/chromium` ships
 * the browser binary inside an npm package, and playwright-core drives it. `CHROMIUM_PATH` points
 * at another binary instead (e.g. Debian's /usr/bin/chromium).
 */
import sparticuz from "@sparticuz/chromium";
import { chromium, type Browser, type Page } from "playwright-core";

/** Flags that keep Chromium from reaching for the network on its own (this machine has none). */
const QUIET = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

export interface LaunchOptions {
  /**
   * Enforce the same-origin policy and CORS. @sparticuz/chromium's default flags include
   * `--disable-web-security`, under which a page reads any cross-origin answer: a test of CORS
   * must set this. @default false
   */
  webSecurity?: boolean;
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const own = process.env.CHROMIUM_PATH;
  if (own) return chromium.launch({ executablePath: own, args: ["--headless", "--no-sandbox", "--disable-gpu", ...QUIET] });
  const args = options.webSecurity ? sparticuz.args.filter((arg) => arg !== "--disable-web-security") : sparticuz.args;
  return chromium.launch({ executablePath: await sparticuz.executablePath(), args: [...args, ...QUIET], headless: true });
}

/** A new page on the dashboard of the router at `url`, signed in with `token`. */
export async function openDashboard(browser: Browser, url: string, token: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${url}/__admin/`);
  await page.fill("#token", token);
  await page.click("#login-form button");
  return page;
}
