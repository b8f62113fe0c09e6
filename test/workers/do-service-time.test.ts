/**
 * What one control-plane read costs on local workerd: the service time the simulation
 * (`npm run simulate`, docs/scale.md) starts from. Logged, never asserted as a time (the machine
 * decides that); the test checks what a reader gets.
 */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { STATE_OBJECT_NAME } from "../../contracts/env";
import { replicaSet } from "../../contracts/replicas";

it("answers `unchanged` to readers that hold the current version, from the primary and from a replica", async () => {
  const primary = env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));
  const first = await primary.getSnapshot(-1);
  if (first.status !== "snapshot") throw new Error(`expected a snapshot, got ${first.status}`);
  const version = first.snapshot.version;
  const replica = env.CONFIG_REPLICA.get(env.CONFIG_REPLICA.idFromName(replicaSet(["weur"], 1)[0]!.name));
  await replica.read(-1);
  const N = 500;
  for (const [name, read] of [
    ["primary", () => primary.getSnapshot(version)],
    ["replica", () => replica.read(version)],
  ] as const) {
    const t0 = performance.now();
    let unchanged = 0;
    for (let i = 0; i < N; i++) if ((await read()).status === "unchanged") unchanged++;
    const perCall = (performance.now() - t0) / N;
    expect(unchanged).toBe(N);
    // Many in flight at once: the object's own time per call (its throughput's inverse), which is
    // what the simulation's service time stands for; the sequential figure adds the round trip.
    const t1 = performance.now();
    const answers = await Promise.all(Array.from({ length: N }, read));
    const perCallConcurrent = (performance.now() - t1) / N;
    expect(answers.filter((a) => a.status === "unchanged")).toHaveLength(N);
    console.log(
      `[do-service-time] ${name}: ${perCall.toFixed(3)} ms per sequential "unchanged" read, ${perCallConcurrent.toFixed(3)} ms per read with ${N} in flight (local workerd, RPC included)`,
    );
  }
}, 60_000);
