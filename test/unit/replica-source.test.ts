/** The isolate's side of the read tier: nearest replica first, bypass the broken, the primary last. */
import { describe, expect, it } from "vitest";
import type { ConfigSource, SnapshotReply } from "../../contracts/config-source";
import { nearestFirst, replicaSet } from "../../contracts/replicas";
import { RolloutConfigSchema, type ConfigSnapshot } from "../../contracts/rollout";
import { ReplicaConfigSource } from "../../edge/config-source";
import { runConfigSourceContract } from "../contracts/config-source.contract";

const PARIS = { lat: 48.86, lon: 2.35 };
const SYDNEY = { lat: -33.87, lon: 151.21 };

function snapshot(version: number): ConfigSnapshot {
  const config = RolloutConfigSchema.parse({ id: "r", origins: { legacy: "https://l.example", new: "https://n.example" }, percent: 10 });
  return { version, globalKill: { killed: false, reason: null, at: null, by: null }, rollouts: [{ config, version, updatedAt: "", updatedBy: "", killReason: null }] };
}
const reply = (version: number, known: number, asOf: number): SnapshotReply =>
  known === version ? { status: "unchanged", version, asOf } : { status: "snapshot", snapshot: snapshot(version), asOf };

/** A fake tier: each replica answers per `behaviour`; the primary is always current. */
type Behaviour = "ok" | "down" | "lagging" | "behind" | "hang" | "slow" | "late";
function tier(behaviour: Record<string, Behaviour>, primaryBehaviour: { hangs?: boolean; down?: boolean } = {}, perRegion = 1) {
  let now = 10_000;
  let version = 5;
  const calls: string[] = [];
  const primary: ConfigSource = {
    read: async (known) => {
      calls.push("primary");
      if (primaryBehaviour.hangs) return new Promise<SnapshotReply>(() => {});
      if (primaryBehaviour.down) throw new Error("primary unreachable");
      return reply(version, known, now);
    },
  };
  const replicas = replicaSet(["weur", "eeur", "oc"], perRegion);
  const source = new ReplicaConfigSource(
    replicas,
    async (r, known) => {
      calls.push(r.name);
      const b = behaviour[r.name] ?? "ok";
      if (b === "down") throw new Error("replica unreachable");
      if (b === "hang") return new Promise<SnapshotReply>(() => {});
      if (b === "lagging") return reply(version, known, now - 5_000);
      if (b === "behind") return reply(version - 2, known, now);
      if (b === "late") return new Promise<SnapshotReply>((resolve) => setTimeout(() => resolve(reply(version, known, now)), 30));
      if (b === "slow") return new Promise<SnapshotReply>((resolve) => setTimeout(() => resolve(reply(version, known, now)), 60));
      return reply(version, known, now);
    },
    primary,
    () => PARIS,
    0,
    { clock: () => now, replicaTimeoutMs: 20 },
  );
  return { source, calls, change: () => version++, advance: (ms: number) => (now += ms) };
}

describe("choosing a replica", () => {
  it("orders regions by distance from the isolate, and spreads a region's isolates over its shards", () => {
    const set = replicaSet(["weur", "oc", "enam"], 2);
    expect(nearestFirst(set, PARIS, 0).map((r) => r.region)).toEqual(["weur", "weur", "enam", "enam", "oc", "oc"]);
    expect(nearestFirst(set, SYDNEY, 0)[0]!.region).toBe("oc");
    expect(nearestFirst(set, PARIS, 0)[0]!.name).toBe("weur-0");
    expect(nearestFirst(set, PARIS, 1)[0]!.name).toBe("weur-1");
  });
});

describe("bypassing a replica that cannot be trusted", () => {
  it("reads the nearest replica when it is healthy, never the primary", async () => {
    const { source, calls } = tier({});
    expect(await source.read(-1)).toMatchObject({ status: "snapshot" });
    expect(calls).toEqual(["weur-0"]);
  });

  it.each(["down", "lagging", "hang"] as const)("goes to the next replica when the nearest is %s, and keeps away from it for a while", async (behaviour) => {
    const { source, calls, advance } = tier({ "weur-0": behaviour });
    expect(await source.read(-1)).toMatchObject({ status: "snapshot" });
    expect(calls).toEqual(["weur-0", "eeur-0"]);
    calls.length = 0;
    advance(500);
    await source.read(5);
    expect(calls).toEqual(["eeur-0"]);
    advance(600);
    calls.length = 0;
    await source.read(5);
    expect(calls[0]).toBe("weur-0"); // the first penalty (1 s) is over: tried again
  });

  it("skips a replica that keeps failing for longer each time, up to the penalty cap, and forgives it once it answers", async () => {
    const behaviour: Record<string, "ok" | "down"> = { "weur-0": "down" };
    const { source, calls, advance } = tier(behaviour);
    const skippedFor = async () => {
      // Read every 250 ms (as a busy isolate does) until weur-0 is asked again.
      for (let waited = 250; waited <= 20_000; waited += 250) {
        advance(250);
        calls.length = 0;
        await source.read(5);
        if (calls[0] === "weur-0") return waited;
      }
      return Number.POSITIVE_INFINITY;
    };
    await source.read(-1); // first failure
    expect(await skippedFor()).toBe(1_000); // that read was the second failure
    expect(await skippedFor()).toBe(2_000);
    expect(await skippedFor()).toBe(4_000);
    expect(await skippedFor()).toBe(8_000);
    expect(await skippedFor()).toBe(10_000); // capped (penaltyMs)
    behaviour["weur-0"] = "ok";
    expect(await skippedFor()).toBe(10_000); // answered this time: forgiven
    expect(await skippedFor()).toBe(250);
  });

  it("still takes a slow replica's answer when it comes before the primary's (a slow primary is not made slower by every isolate)", async () => {
    const behaviour: Record<string, Behaviour> = {};
    const primary: { hangs?: boolean } = {};
    const { source, calls } = tier(behaviour, primary);
    await source.read(-1);
    Object.assign(behaviour, { "weur-0": "slow", "eeur-0": "slow" });
    primary.hangs = true;
    calls.length = 0;
    expect(await source.read(5)).toMatchObject({ status: "unchanged", version: 5 });
    expect(calls).toEqual(["weur-0", "eeur-0", "primary"]);
  });

  it("takes the nearest replica's late answer while the next one is being asked, without going to the primary", async () => {
    const behaviour: Record<string, Behaviour> = {};
    const { source, calls } = tier(behaviour);
    await source.read(-1);
    Object.assign(behaviour, { "weur-0": "late", "eeur-0": "hang" });
    calls.length = 0;
    expect(await source.read(5)).toMatchObject({ status: "unchanged", version: 5 });
    expect(calls).toEqual(["weur-0", "eeur-0"]);
  });

  it("gives a replica longer while the isolate holds nothing (a cold replica pulls from the primary first)", async () => {
    const { source, calls } = tier({ "weur-0": "slow" });
    expect(await source.read(-1)).toMatchObject({ status: "snapshot" });
    expect(calls).toEqual(["weur-0"]);
  });

  it("asks a replica in another region second, not the nearest region's next shard", async () => {
    const { source, calls } = tier({ "weur-0": "down", "weur-1": "down" }, {}, 2);
    await source.read(-1);
    expect(calls).toEqual(["weur-0", "eeur-0"]);
  });

  it("detects a replica that is behind by version (it answers older than what this isolate saw)", async () => {
    const behaviour: Record<string, "ok" | "behind"> = {};
    const { source, calls } = tier(behaviour);
    expect(await source.read(-1)).toMatchObject({ snapshot: { version: 5 } });
    behaviour["weur-0"] = "behind"; // it missed writes: answers 3
    calls.length = 0;
    expect(await source.read(5)).toMatchObject({ status: "unchanged", version: 5 });
    expect(calls).toEqual(["weur-0", "eeur-0"]);
    expect(source.stats.bypassed).toBe(1);
  });

  it("falls back to the primary when every replica tried is broken", async () => {
    const behaviour: Record<string, Behaviour> = {};
    const { source, calls } = tier(behaviour);
    await source.read(-1);
    Object.assign(behaviour, { "weur-0": "down", "eeur-0": "behind" });
    calls.length = 0;
    await source.read(5);
    expect(calls).toEqual(["weur-0", "eeur-0", "primary"]);
    expect(source.stats).toMatchObject({ bypassed: 2, primaryReads: 1 });
  });

  it("when every replica lags, serves the freshest lagging answer and asks the primary itself only every 5 s", async () => {
    const { source, calls, advance, change } = tier({ "weur-0": "lagging", "eeur-0": "lagging" });
    await source.read(-1);
    expect(calls).toEqual(["weur-0", "eeur-0", "primary"]); // the first time: the primary is asked
    const primaryReads = () => calls.filter((c) => c === "primary").length;
    change(); // the replicas still get pushes: they hold version 6
    for (let i = 0; i < 16; i++) {
      advance(250);
      expect(await source.read(5)).toMatchObject({ status: "snapshot", snapshot: { version: 6 } });
    }
    expect(primaryReads()).toBe(1); // 4 s: not asked again
    advance(1_000);
    await source.read(6);
    expect(primaryReads()).toBe(2);
    expect(source.stats.laggingServed).toBe(16);
  });

  it("serves a lagging replica's answer when the primary cannot be reached either", async () => {
    const { source } = tier({ "weur-0": "lagging", "eeur-0": "down" }, { down: true });
    expect(await source.read(-1)).toMatchObject({ status: "snapshot", snapshot: { version: 5 } });
  });

  it("fails when neither a replica nor the primary answers (the snapshot cache then serves its last snapshot)", async () => {
    const { source } = tier({ "weur-0": "down", "eeur-0": "down" }, { down: true });
    await expect(source.read(-1)).rejects.toThrow("primary unreachable");
  });
});

runConfigSourceContract("the replica tier (fake replicas)", async () => {
  const { source, change } = tier({});
  return { source, change: async () => void change() };
});
