/**
 * OFREP with the real OpenFeature clients, which no one here wrote, against a real `wrangler dev`:
 * - Node: `@openfeature/server-sdk` + `@openfeature/ofrep-provider` (single-flag endpoint);
 * - a browser: `@openfeature/web-sdk` + `@openfeature/ofrep-web-provider` (bulk endpoint, ETag,
 *   CORS, polling) in headless Chromium, on a page served from another origin.
 * For 1,000 users each client's value is the variant the proxy routes that user to (the origin
 * that answered), before and after a kill.
 */
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature as ServerOpenFeature, type Client } from "@openfeature/server-sdk";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "./browser";
import { freePort, hit, startRouter, waitForVersion, type Router } from "./harness";
import type { OfrepPage } from "./ofrep-page";

const USERS = Array.from({ length: 1000 }, (_, i) => `ofrep-user-${i}`);
const FLAG = "default";
/** The web provider polls this often (ms): short, so a kill reaches the page within the test. */
const POLL_MS = 200;

let router: Router;
let pageServer: { origin: string; server: Server };
let browser: Browser;
let page: Page;
let node: Client;

/** Serves a tiny page and the bundled web SDK from 127.0.0.1 (an origin listed in OFREP_CORS_ORIGINS). */
async function servePage(): Promise<{ origin: string; server: Server }> {
  const bundle = await build({ entryPoints: [join(import.meta.dirname, "ofrep-page.ts")], bundle: true, format: "iife", platform: "browser", write: false, logLevel: "silent" });
  const script = bundle.outputFiles[0]!.text;
  const server = createServer((req, res) => {
    if (req.url === "/page.js") res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><title>OFREP</title><script src="/page.js"></script>');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${port}`, server };
}

beforeAll(async () => {
  pageServer = await servePage();
  router = await startRouter({ initialPercent: 30, vars: { OFREP_CORS_ORIGINS: pageServer.origin } });
  ServerOpenFeature.setLogger({ error() {}, warn() {}, info() {}, debug() {} });
  await ServerOpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: router.url, headers: [["Authorization", `Bearer ${router.adminToken}`]] }));
  node = ServerOpenFeature.getClient();
  // CORS enforced, as in any real browser: the page is on another origin than the router.
  browser = await launchBrowser({ webSecurity: true });
  page = await browser.newPage();
  await page.goto(`${pageServer.origin}/`);
  await page.evaluate(([url, token, user, poll]) => (globalThis as unknown as InPage).ofrepPage.start(url, token, user, poll), [
    router.url,
    router.adminToken,
    USERS[0]!,
    POLL_MS,
  ] as const);
});

afterAll(async () => {
  await ServerOpenFeature.close();
  await browser?.close();
  await router?.stop();
  await new Promise((resolve) => pageServer?.server.close(resolve));
});

/** Which origin answered each user through the proxy, 20 at a time. */
async function proxied(users: string[]): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  for (let i = 0; i < users.length; i += 20) {
    const batch = await Promise.all(users.slice(i, i + 20).map(async (u) => [u, (await hit(router, u)).origin] as const));
    for (const [u, origin] of batch) seen.set(u, origin);
  }
  return seen;
}

/** The Node provider's details for each user, 20 at a time. */
async function fromNode(users: string[]) {
  const seen = new Map<string, Awaited<ReturnType<Client["getBooleanDetails"]>>>();
  for (let i = 0; i < users.length; i += 20) {
    const batch = await Promise.all(users.slice(i, i + 20).map(async (u) => [u, await node.getBooleanDetails(FLAG, false, { targetingKey: u })] as const));
    for (const [u, d] of batch) seen.set(u, d);
  }
  return seen;
}

/** The page's driver (test/e2e/ofrep-page.ts); functions passed to page.evaluate run in the page. */
type InPage = { ofrepPage: OfrepPage };

const fromBrowser = (users: string[]) => page.evaluate((u) => (globalThis as unknown as InPage).ofrepPage.valuesFor(u, "default"), users);
const statuses = () => page.evaluate(() => (globalThis as unknown as InPage).ofrepPage.statuses());
const current = () => page.evaluate(() => (globalThis as unknown as InPage).ofrepPage.current("default"));

describe("the same decision as the proxy, for 1,000 users", () => {
  let watched: string;

  it("at 30%: the Node and the browser providers give every user the variant the proxy routes them to", async () => {
    const [origins, nodeDetails, pageDetails] = [await proxied(USERS), await fromNode(USERS), await fromBrowser(USERS)];
    for (const user of USERS) {
      const origin = origins.get(user);
      expect(["legacy", "new"], user).toContain(origin);
      expect(nodeDetails.get(user), user).toMatchObject({ value: origin === "new", variant: origin, reason: "SPLIT" });
      expect(pageDetails[user], user).toMatchObject({ value: origin === "new", variant: origin, reason: "SPLIT" });
    }
    const toNew = USERS.filter((u) => origins.get(u) === "new").length;
    expect(toNew).toBeGreaterThan(240);
    expect(toNew).toBeLessThan(360);
    watched = USERS.findLast((u) => origins.get(u) === "new")!;
  });

  it("the browser provider revalidates with its ETag while nothing changes (304s on polling)", async () => {
    await page.evaluate((u) => (globalThis as unknown as InPage).ofrepPage.use(u), watched);
    const before = (await statuses()).length;
    await expect.poll(async () => (await statuses()).slice(before).filter((s) => s === 304).length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    expect((await statuses()).every((s) => s === 200 || s === 304)).toBe(true);
  });

  it("after a kill: polling flips the watched user without a context change, and all 1,000 get legacy, DISABLED", async () => {
    expect((await current()).value).toBe(true);
    const res = await router.admin("POST", "/rollouts/default/kill", { reason: "OFREP e2e" });
    expect(res.status).toBe(200);
    const { version } = (await res.json()) as { version: number };
    await waitForVersion(router, version);
    // Same targetingKey, same provider: only a changed ETag can bring the new answer.
    await expect.poll(current, { timeout: 5_000 }).toMatchObject({ value: false, reason: "DISABLED", configVersion: version });

    const [origins, nodeDetails, pageDetails] = [await proxied(USERS), await fromNode(USERS), await fromBrowser(USERS)];
    for (const user of USERS) {
      expect(origins.get(user), user).toBe("legacy");
      expect(nodeDetails.get(user), user).toMatchObject({ value: false, variant: "legacy", reason: "DISABLED" });
      expect(pageDetails[user], user).toMatchObject({ value: false, variant: "legacy", reason: "DISABLED" });
    }
  });
});

describe("errors, as the real providers report them", () => {
  it("Node: FLAG_NOT_FOUND, TARGETING_KEY_MISSING, and GENERAL for a token the router refuses", async () => {
    expect(await node.getBooleanDetails("no-such-flag", false, { targetingKey: "u" })).toMatchObject({ value: false, errorCode: "FLAG_NOT_FOUND" });
    expect(await node.getBooleanDetails(FLAG, true, {})).toMatchObject({ value: true, errorCode: "TARGETING_KEY_MISSING" });
    const wrong = new OFREPProvider({ baseUrl: router.url, headers: [["Authorization", "Bearer not-the-token"]] });
    await ServerOpenFeature.setProviderAndWait("wrong-token", wrong);
    expect(await ServerOpenFeature.getClient("wrong-token").getBooleanDetails(FLAG, true, { targetingKey: "u" })).toMatchObject({ value: true, errorCode: "GENERAL" });
  });

  it("browser: a page on an origin not in OFREP_CORS_ORIGINS cannot read an evaluation", async () => {
    const other = await browser.newPage();
    try {
      // Same server, another origin (localhost is not 127.0.0.1 to a browser).
      await other.goto(pageServer.origin.replace("127.0.0.1", "localhost") + "/");
      const outcome = await other.evaluate(
        ([url, token]) =>
          (globalThis as unknown as InPage).ofrepPage.start(url, token, "u", 0).then(
            () => "read",
            (e: Error) => `refused: ${e.message}`,
          ),
        [router.url, router.adminToken] as const,
      );
      expect(outcome).toMatch(/^refused/);
    } finally {
      await other.close();
    }
  });
});
