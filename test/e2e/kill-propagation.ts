/**
 * The kill-switch measurement shared by the e2e files: kill a rollout at 50% under sustained load,
 * and check that no request starting more than KILL_BOUND_MS after the acknowledgement reached new.
 */
import { expect } from "vitest";
import { hit, waitForVersion, waitUntil, type Hit, type Router } from "./harness";

/** DESIGN.md's freshness contract: a change acknowledged at t governs every request that starts after t + 1 s. */
export const KILL_BOUND_MS = 1000;

/**
 * Only for deliberate time windows (load for a while, or let the 1 s bound pass); every other wait
 * in the e2e tests waits on a condition.
 */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** An admin write that must succeed; resolves once requests are decided on the version it wrote. */
export async function write(router: Router, method: string, path: string, body: unknown): Promise<number> {
  const res = await router.admin(method, path, body);
  const reply = (await res.json()) as { version: number };
  expect(res.status, `${method} ${path}: ${JSON.stringify(reply)}`).toBe(200);
  await waitForVersion(router, reply.version);
  return reply.version;
}

/**
 * `kills` kill/resume cycles of rollout "default" at its current percentage under `loops`
 * concurrent request loops; returns, per kill, the start of the last request that reached new,
 * relative to the kill's acknowledgement (≤ 0: none started after it). Fails the test if any
 * request starting past the bound reached new.
 */
export async function measureKills(router: Router, kills: number, loops: number, tag: string): Promise<number[]> {
  const AFTER_KILL_MS = 2 * KILL_BOUND_MS;
  const propagations: number[] = [];
  for (let k = 0; k < kills; k++) {
    await write(router, "POST", "/rollouts/default/resume", { reason: `${tag} cycle ${k + 1}` });
    const results: Hit[] = [];
    let running = true;
    const workers = Array.from({ length: loops }, async (_, w) => {
      for (let i = 0; running; i++) results.push(await hit(router, `${tag}-${k}-${w}-${i % 40}`));
    });
    // Traffic flows and some of it reaches new before the kill (if it never does, an assertion below says so).
    await waitUntil(() => results.some((r) => r.origin === "new"), { timeoutMs: 3000, intervalMs: 20 }).catch(() => undefined);
    // Deliberate window: the kill lands in sustained load, not at the first answer from new.
    await sleep(300);
    const kill = await router.admin("POST", "/rollouts/default/kill", { reason: `${tag} kill ${k + 1}` });
    const ackAt = Date.now();
    expect(kill.status, await kill.text()).toBe(200);
    // Deliberate window, the measurement itself: load goes on for twice the bound, so that requests
    // starting after ack + KILL_BOUND_MS exist and can be checked for new.
    await sleep(AFTER_KILL_MS);
    running = false;
    await Promise.all(workers);
    expect(
      results.filter((r) => r.status !== 200),
      "failed requests",
    ).toEqual([]);
    expect(
      results.some((r) => r.origin === "new" && r.startedAt < ackAt),
      "traffic reached new before the kill",
    ).toBe(true);
    expect(results.filter((r) => r.startedAt > ackAt + KILL_BOUND_MS).length, "traffic went on after the bound").toBeGreaterThan(loops);
    const late = results.filter((r) => r.origin === "new" && r.startedAt > ackAt + KILL_BOUND_MS);
    expect(
      late.map((r) => `started ${r.startedAt - ackAt} ms after the ack`),
      `kill ${k + 1}: requests that reached new`,
    ).toEqual([]);
    propagations.push(Math.max(...results.filter((r) => r.origin === "new").map((r) => r.startedAt)) - ackAt);
  }
  await write(router, "POST", "/rollouts/default/resume", { reason: `${tag} done` });
  return propagations;
}
