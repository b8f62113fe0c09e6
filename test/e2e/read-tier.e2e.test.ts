/**
 * The regional read tier under a real `wrangler dev`: with CONFIG_REPLICA_REGIONS set, isolates read
 * their config from ConfigReplica objects (pushed every write by the primary), a kill still governs
 * every request that starts a second after its acknowledgement, and health reaches the primary's
 * guard through the replicas. (Locally every object runs in one process: the location hints are
 * ignored; the round trips are simulated in docs/scale.md.)
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { hit, startRouter, waitUntil, type Router } from "./harness";
import { KILL_BOUND_MS, measureKills, median, write } from "./kill-propagation";

let router: Router;

beforeAll(async () => {
  router = await startRouter({
    initialPercent: 50,
    newFailEvery: 0,
    vars: { CONFIG_REPLICA_REGIONS: "weur,enam", CONFIG_REPLICAS_PER_REGION: "2", ADMIN_WRITES_REFRESH_LOCALLY: "false" },
  });
});
afterAll(async () => {
  await router?.stop();
});

async function stats(): Promise<Record<string, number>> {
  return ((await (await router.admin("GET", "/stats")).json()) as { isolate: Record<string, number> }).isolate;
}

it("serves requests from replicas, not the primary, and a kill governs every request that starts a second after it", async () => {
  for (let i = 0; i < 40; i++) await hit(router, `warm-${i}`);
  const propagations = await measureKills(router, 3, 8, "tier");
  const s = await stats();
  expect(s.replicaReads).toBeGreaterThan(5);
  expect(s.primaryReads).toBe(0);
  expect(s.replicasBypassed).toBe(0);
  console.log(
    `[read tier] kill propagation through replicas: ${propagations.map((p) => `${p} ms`).join(", ")} (median ${median(propagations)} ms, bound ${KILL_BOUND_MS} ms); replica reads ${s.replicaReads}, primary reads ${s.primaryReads}`,
  );
});

it("gets health to the primary's guard through the replicas, which then kills a failing rollout", async () => {
  await write(router, "PATCH", "/rollouts/default", {
    percent: 50,
    // New answers 503 to /503 (its base path + the request's), legacy answers it normally.
    origins: { legacy: router.origins.legacy, new: `${router.origins.new}/__origin/status` },
    guard: { windowSeconds: 30, minRequests: 20, minUsers: 3, maxErrorRate: 0.05 },
  });
  let running = true;
  const loops = Array.from({ length: 6 }, async (_, w) => {
    for (let i = 0; running; i++) await hit(router, `guarded-${w}-${i % 25}`, "/503");
  });
  try {
    await waitUntil(async () => ((await (await router.admin("GET", "/rollouts/default")).json()) as { status: string }).status === "killed", {
      timeoutMs: 30_000,
      intervalMs: 250,
      message: "the guard to kill the rollout from health forwarded by replicas",
    });
  } finally {
    running = false;
    await Promise.all(loops);
  }
  const audit = (await (await router.admin("GET", "/audit?limit=5")).json()) as { entries: Array<{ actor: string; action: string }> };
  expect(audit.entries[0]).toMatchObject({ actor: "guard", action: "kill" });
  const s = await stats();
  expect(s.healthFlushesViaReplica).toBeGreaterThan(0);
  expect(s.healthFlushesToPrimary).toBe(0);
});
