/**
 * The regional read tier with the real ConfigReplica Durable Object: it serves what the primary
 * holds, follows writes (pushed, or caught up by its own confirmation), and aggregates health that
 * reaches the primary's guard.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConfigReplica } from "../../control/config-replica";
import { emptyRolloutStats, type HealthFlush } from "../../contracts/health";
import { replicaSet } from "../../contracts/replicas";
import { DurableObjectConfigSource, ReplicaConfigSource } from "../../edge/config-source";
import { runConfigSourceContract } from "../contracts/config-source.contract";
import { adminJson, resetDefault } from "./helpers";

const replica = (name: string) => env.CONFIG_REPLICA.get(env.CONFIG_REPLICA.idFromName(name));
const primary = () => env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName("global"));

function source(names = ["weur", "enam"] as const) {
  const set = replicaSet([...names], 1);
  return new ReplicaConfigSource(
    set,
    (r, v) => replica(r.name).read(v),
    new DurableObjectConfigSource(env.ROLLOUT_STATE),
    () => ({ lat: 48.9, lon: 2.3 }),
    0,
  );
}

let percent = 0;
runConfigSourceContract("regional replicas (real Durable Objects)", async () => {
  await resetDefault();
  return {
    source: source(),
    change: async () => {
      percent = (percent + 1) % 100;
      expect((await adminJson("PATCH", "/rollouts/default", { percent })).status).toBe(200);
      // What the primary's push does after a write (these tests' primary has no CONFIG_REPLICA_REGIONS).
      await replica("weur-0").receive(await primary().getSnapshot(-1));
    },
  };
});

describe("a replica", () => {
  it("answers with the primary's version and how current it is, and catches up a missed write by version", async () => {
    await resetDefault({ percent: 5 });
    const r = replica("contract-a");
    const first = await r.read(-1);
    const { version } = (await adminJson("GET", "/rollouts")).body;
    expect(first).toMatchObject({ status: "snapshot", snapshot: { version } });
    expect(Date.now() - first.asOf!).toBeLessThan(1000);
    // A write the replica was not told about (no push): its next confirmation picks it up.
    const changed = await adminJson("PATCH", "/rollouts/default", { percent: 6 });
    await runInDurableObject(r, (instance: ConfigReplica) => {
      instance.now = () => Date.now() + 1000; // its confirmation is due
    });
    await runDurableObjectAlarm(r);
    expect(await r.read(version)).toMatchObject({ status: "snapshot", snapshot: { version: changed.body.version } });
  });

  it("takes a pushed snapshot at once, and ignores an older push that arrives late", async () => {
    const r = replica("push-b");
    const current = await primary().getSnapshot(-1);
    await r.read(-1);
    await r.receive(current);
    expect((await r.describe()).version).toBe(current.status === "snapshot" ? current.snapshot.version : -1);
    if (current.status !== "snapshot") throw new Error("expected a snapshot");
    await r.receive({ ...current, snapshot: { ...current.snapshot, version: current.snapshot.version - 1 } });
    expect((await r.describe()).version).toBe(current.snapshot.version);
  });

  it("merges health from isolates and forwards it to the primary, where the guard reads it", async () => {
    await resetDefault({ percent: 50, guard: { windowSeconds: 60, minRequests: 5, minUsers: 1, maxErrorRate: 0.05 } });
    const r = replica("health-c");
    const flush = (): HealthFlush => {
      const stats = emptyRolloutStats();
      stats.new.requests = 10;
      stats.new.errors = 10;
      return { rollouts: { default: stats } };
    };
    const before = (await adminJson("GET", "/rollouts/default/health?window=60")).body.new.requests as number;
    for (let i = 0; i < 3; i++) await r.recordHealth(flush());
    await runInDurableObject(r, (instance: ConfigReplica) => {
      instance.now = () => Date.now() + 5_000; // the forward interval has passed
    });
    await runDurableObjectAlarm(r);
    const after = (await adminJson("GET", "/rollouts/default/health?window=60")).body.new.requests as number;
    expect(after - before).toBe(30);
  });
});
