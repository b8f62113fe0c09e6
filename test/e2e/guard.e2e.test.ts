/**
 * A guarded rollout against a real `wrangler dev`, with real alarms: the new origin starts failing
 * one request in five, and the router rolls back by itself.
 */
import { KILL_BOUND_MS, sleep } from "./kill-propagation";
import { afterAll, beforeAll, expect, it } from "vitest";
import { hit, startRouter, waitUntil, type Router } from "./harness";

let router: Router;
beforeAll(async () => {
  router = await startRouter({ initialPercent: 50, newFailEvery: 5 });
});
afterAll(async () => {
  await router?.stop();
});

it("kills a rollout by itself once the new origin's error rate breaks the guard, and says why everywhere", async () => {
  const put = await router.admin("PATCH", "/rollouts/default", { guard: { windowSeconds: 10, minRequests: 30, maxErrorRate: 0.05 } });
  expect(put.status).toBe(200);
  let firstFailureAt: number | undefined;
  let killedAt: number | undefined;
  let running = true;
  const loops = Array.from({ length: 6 }, async (_, w) => {
    let i = 0;
    while (running) {
      const r = await hit(router, `guard-${w}-${i++ % 50}`);
      if (r.status >= 500 && firstFailureAt === undefined) firstFailureAt = r.startedAt;
    }
  });
  const readRollout = async () => (await (await router.admin("GET", "/rollouts/default")).json()) as { status: string; killReason: string | null };
  try {
    const killed = await waitUntil(
      async () => {
        const rollout = await readRollout();
        return rollout.status === "killed" && rollout;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: "the guard to kill the rollout" },
    );
    killedAt = Date.now();
    expect(killed.killReason).toMatch(/^guard maxErrorRate: new error rate \d+\.\d% over \d+ s \(n=\d+, \d+ users, errors from \d+ users\) exceeds maxErrorRate 5\.0%/);
  } finally {
    running = false;
    await Promise.all(loops);
  }
  console.log(
    `[guard] first failing response → automatic kill: ${killedAt! - firstFailureAt!} ms (bounded by: the guard's minRequests arriving, isolate flush ≤ 1 s, alarm every 5 s, this test polling every 200 ms)`,
  );

  const audit = (await (await router.admin("GET", "/audit?limit=1")).json()) as { entries: Array<{ actor: string; action: string; reason: string }> };
  expect(audit.entries[0]).toMatchObject({ actor: "guard", action: "kill" });
  const health = (await (await router.admin("GET", "/rollouts/default/health?window=60")).json()) as { new: { errorRate: number }; verdict: { status: string } };
  expect(health.new.errorRate).toBeGreaterThan(0.1);
  await expect.poll(() => router.output(), { timeout: 5_000 }).toMatch(/"event":"guard","rollout":"default","verdict":"breach"[^\n]*"action":"kill","actor":"guard"/);
  // The kill governs every request that starts a second after it (the freshness contract): the
  // guard's own write refreshes no isolate directly, so the check starts once that second is up.
  await sleep(Math.max(0, killedAt! + KILL_BOUND_MS - Date.now()));
  expect((await hit(router, "after-kill")).origin).toBe("legacy");
});
