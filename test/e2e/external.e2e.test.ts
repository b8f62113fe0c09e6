/**
 * Guards beyond the proxy end to end, against a real `wrangler dev` with its real 5 s alarm: a value
 * pushed by a deploy script (a plain HTTP POST, as curl sends it) kills a rollout at the next
 * alarm; a probe failing on new holds the stage that requires probes (the rollout stays at 0%, not
 * killed), `edge-router status` shows why, and the stage is entered once the probe passes.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser, openDashboard } from "./browser";
import { hit, runCli, startRouter, waitUntil, type Router } from "./harness";

let router: Router;
let browser: Browser | undefined;

const cli = (args: string[]) => runCli(router, args);

interface View {
  status: string;
  killReason: string | null;
  config: { percent: number };
  stage: { waiting: string | null } | null;
}
const view = async (id: string): Promise<View> => (await (await router.admin("GET", `/rollouts/${id}`)).json()) as View;

beforeAll(async () => {
  router = await startRouter({ initialPercent: 0 });
  await cli(["--help"]); // bundles the tool once
});

afterAll(async () => {
  await browser?.close();
  await router?.stop();
});

it("kills a rollout at the next alarm after a deploy script pushes a bad value to its signal", async () => {
  const created = await router.admin("PUT", "/rollouts/release", {
    match: { pathPrefixes: ["/release"] },
    origins: router.origins,
    percent: 50,
    guard: { external: [{ name: "smoke_failures", description: "share of smoke tests failing", provider: "signal", max: 0.1 }] },
  });
  expect(created.status).toBe(201);
  // What a deploy script sends: curl -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{…}'
  const push = (value: number, note: string) =>
    fetch(`${router.url}/__admin/api/rollouts/release/signals/smoke_failures`, {
      method: "POST",
      headers: { authorization: `Bearer ${router.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ value, note }),
    });
  expect((await push(0, "smoke: 0 of 5 failed")).status).toBe(201);
  await new Promise((r) => setTimeout(r, 6_000)); // at least one alarm judges the good value
  expect((await view("release")).status).toBe("live");

  const pushedAt = Date.now();
  expect((await push(0.4, "smoke: 2 of 5 failed")).status).toBe(201);
  const killed = await waitUntil(async () => ((await view("release")).status === "killed" ? view("release") : null), {
    timeoutMs: 15_000,
    intervalMs: 200,
    message: "the signal to kill the rollout",
  });
  // The alarm runs every 5 s: the kill comes at the next one (plus its own few milliseconds).
  expect(Date.now() - pushedAt).toBeLessThan(7_000);
  expect(killed.killReason).toBe("guard: external smoke_failures: share of smoke tests failing 0.4 exceeds max 0.1 (1 failure, signal).");
  const users = await Promise.all(Array.from({ length: 10 }, (_, i) => hit(router, `user-${i}`, "/release/checkout")));
  expect(new Set(users.map((u) => u.origin))).toEqual(new Set(["legacy"]));
  const values = (await (await router.admin("GET", "/rollouts/release/signals/smoke_failures")).json()) as { values: Array<{ value: number }> };
  expect(values.values.map((v) => v.value)).toEqual([0.4, 0]);
});

it("holds the stage that requires probes while a probe fails on new, shows it in status, and enters it once the probe passes", async () => {
  const probe = { name: "health", variant: "new", path: "/__origin/status/503", intervalSeconds: 5, failureThreshold: 2 };
  const staged = await router.admin("PATCH", "/rollouts/default", {
    probes: [probe],
    stages: [
      { percent: 10, holdSeconds: 0, requireProbes: true },
      { percent: 100, holdSeconds: 600 },
    ],
  });
  expect(staged.status).toBe(200);
  const held = await waitUntil(async () => ((await view("default")).stage?.waiting?.startsWith("probes failing") ? view("default") : null), {
    timeoutMs: 30_000,
    intervalMs: 250,
    message: "the probe to fail twice",
  });
  expect(held).toMatchObject({ status: "live", config: { percent: 0 } });
  const probes = router.hits.new.filter((h) => h.headers["x-rollout-probe"] === "health");
  expect(probes.length).toBeGreaterThanOrEqual(2);
  expect(probes.every((h) => h.url === "/__origin/status/503")).toBe(true);

  const status = await cli(["status", "default"]);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/\n {2}probes {6}health on new \(GET \/__origin\/status\/503\) {2}failing {2}\d+ failures in a row, last HTTP 503, expected 200 \d+ s ago\n/);
  expect(status.stdout).toContain("; probes failing: probe health: GET /__origin/status/503 on new failed");
  const health = (await (await router.admin("GET", "/rollouts/default/health")).json()) as { new: { requests: number } };
  expect(health.new.requests).toBe(0);

  // The dashboard's card shows the probe failing, beside the killed rollout's signal check.
  browser = await launchBrowser();
  const page = await openDashboard(browser, router.url, router.adminToken);
  const row = page.locator('[data-rollout="default"] [data-probe="health"]');
  await row.waitFor();
  expect(await row.textContent()).toMatch(/^health GET \/__origin\/status\/503 on newfailing✗✗2 in a rowHTTP 503, expected 200 · \d+ s ago$/);
  const check = page.locator('[data-rollout="release"] [data-check="smoke_failures"]');
  expect(await check.textContent()).toMatch(/^smoke_failures signalfail0\.4max 0\.1/);

  expect((await router.admin("PATCH", "/rollouts/default", { probes: [{ ...probe, path: "/__origin/status/200" }] })).status).toBe(200);
  await waitUntil(async () => (await view("default")).config.percent === 10, { timeoutMs: 30_000, intervalMs: 250, message: "the stage to be entered once the probe passes" });
});
