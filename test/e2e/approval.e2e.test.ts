/**
 * A go/no-go decision point end to end, against a real `wrangler dev` with its real 5 s alarm: a
 * staged rollout enters its first stage by itself and stops before the stage that requires
 * approval; the release manager is told by a signed webhook (checked by a real receiver with
 * node:crypto), sees it in `edge-router status` and on the dashboard (APPROVE), approves with
 * `edge-router approve`, and the scheduler enters the stage within one check.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startWebhookReceiver, type ReceivedDelivery } from "../setup/webhook-receiver";
import { launchBrowser, openDashboard } from "./browser";
import { runCli, startRouter, waitUntil, type Router } from "./harness";

const SECRET = `whsec-${crypto.randomUUID()}`;

let router: Router;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let browser: Browser | undefined;

const cli = (args: string[]) => runCli(router, args);

interface View {
  version: number;
  config: { percent: number };
  approval: { percent: number; by: string } | null;
  stage: { awaitingApproval: boolean; waiting: string | null };
}
const rollout = async (): Promise<View> => (await (await router.admin("GET", "/rollouts/default")).json()) as View;
const events = () => receiver.received("hooks/release").map((d: ReceivedDelivery) => ({ event: d.body?.event, verified: d.verified, body: d.body }));

beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET);
  router = await startRouter({ initialPercent: 0 });
  await cli(["--help"]); // bundles the tool once
});

afterAll(async () => {
  await browser?.close();
  await router?.stop();
  await receiver?.close();
});

it("stops before a stage that requires approval, notifies, shows APPROVE, and enters the stage once approved with the CLI", async () => {
  const hooks = await router.admin("PUT", "/notifications", {
    webhooks: [{ id: "release", url: `${receiver.url}/hooks/release`, events: ["approval-needed", "advance"], secret: SECRET }],
  });
  expect(hooks.status).toBe(200);
  const staged = await router.admin("PATCH", "/rollouts/default", {
    stages: [
      { percent: 10, holdSeconds: 2 },
      { percent: 50, holdSeconds: 600, requiresApproval: true },
      { percent: 100, holdSeconds: 0 },
    ],
  });
  expect(staged.status).toBe(200);

  // The alarm enters 10% by itself, holds 2 s, then waits for the approval however long it takes.
  const waiting = await waitUntil(
    async () => {
      const r = await rollout();
      return r.config.percent === 10 && r.stage.awaitingApproval && r.stage.waiting?.startsWith("awaiting approval") && r;
    },
    { timeoutMs: 30_000, intervalMs: 250, message: "the rollout to wait for approval at 10%" },
  );
  expect(waiting.stage.waiting).toBe("awaiting approval to enter 50%: the hold is done");
  await waitUntil(() => events().some((e) => e.event === "approval-needed"), { timeoutMs: 10_000, message: "the approval-needed webhook" });
  expect(events().map((e) => [e.event, e.verified])).toEqual([
    ["advance", true],
    ["approval-needed", true],
  ]);
  expect(events()[1]!.body).toMatchObject({
    rollout: "default",
    actor: "stages",
    summary: "50% requires an approval: POST /rollouts/default/approve, or edge-router approve default",
  });

  const status = await cli(["status"]);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^default\s+live\s+10%\s+1\/3 .*awaiting approval for 50% \(edge-router approve default\)$/m);

  // The dashboard offers APPROVE on the card.
  browser = await launchBrowser();
  const page = await openDashboard(browser, router.url, router.adminToken);
  const card = page.locator('[data-rollout="default"]');
  await card.waitFor();
  await expect.poll(() => card.locator('[data-testid="awaiting-approval"]').textContent()).toBe("awaiting approval for 50%");
  expect(await card.locator('button[data-action="approve"]').count()).toBe(1);

  // Still at 10% a whole alarm interval later: nothing moves without the approval.
  await new Promise((r) => setTimeout(r, 6000));
  expect((await rollout()).config.percent).toBe(10);

  const approvedAt = Date.now();
  // The release manager approves with their own token: the audit log names it.
  const created = (await (await router.admin("POST", "/tokens", { name: "release-manager", scopes: ["read", "operate"] })).json()) as { token: string };
  const approve = await cli(["approve", "default", "--reason", "go/no-go passed", "--token", created.token]);
  expect(approve.stderr).toBe("");
  expect(approve.code).toBe(0);
  expect(approve.stdout).toMatch(/^default: approved 50% \(from 10%\), version \d+: the scheduler enters it at its next check \(within 5 s\)$/m);

  await waitUntil(async () => (await rollout()).config.percent === 50, { timeoutMs: 15_000, intervalMs: 200, message: "the approved stage" });
  console.log(`[approval] CLI approve → stage entered: ${Date.now() - approvedAt} ms (bounded by the 5 s alarm)`);
  expect(await rollout()).toMatchObject({ approval: null, stage: { awaitingApproval: false } });
  await expect.poll(() => card.locator('button[data-action="approve"]').count(), { timeout: 10_000 }).toBe(0);

  const audit = (await (await router.admin("GET", "/audit?rollout=default&limit=3")).json()) as { entries: Array<{ action: string; actor: string; reason: string | null }> };
  expect(audit.entries.slice(0, 2).map((e) => [e.action, e.actor])).toEqual([
    ["advance", "stages"],
    ["approve", "release-manager"],
  ]);
  expect(audit.entries[1]!.reason).toBe("go/no-go passed");
  expect(audit.entries[0]!.reason).toMatch(/, approved by release-manager$/);
  await waitUntil(() => events().length === 3, { timeoutMs: 10_000, message: "the advance webhook" });
  expect(events()[2]).toMatchObject({ event: "advance", verified: true, body: { summary: "10% → 50%", actor: "stages" } });

  // 50% → 100% needs no approval: the CLI says so and exits 7 (refused).
  const again = await cli(["approve", "default"]);
  expect(again.code).toBe(7);
  expect(again.stderr).toMatch(/the router refused it \(409\): the next stage of rollout "default" \(100%\) does not require approval: nothing waits for one/);
});
