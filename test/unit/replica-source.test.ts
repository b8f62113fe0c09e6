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
function tier(behaviour: Record<string, "ok" | "down" | "lagging" | "behind" | "hang">) {
  let now = 10_000;
  let version = 5;
  const calls: string[] = [];
  const primary: ConfigSource = {
    read: async (known) => {
      calls.push("primary");
      return reply(version, known, now);
    },
  };
  const replicas = replicaSet(["weur", "eeur", "oc"], 1);
  const source = new ReplicaConfigSource(
    replicas,
    async (r, known) => {
      calls.push(r.name);
      const b = behaviour[r.name] ?? "ok";
      if (b === "down") throw new Error("replica unreachable");
      if (b === "hang") return new Promise<SnapshotReply>(() => {});
      if (b === "lagging") return reply(version, known, now - 5_000);
      if (b === "behind") return reply(version - 2, known, now);
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
    advance(1_000);
    await source.read(5);
    expect(calls).toEqual(["eeur-0"]);
    advance(10_000);
    calls.length = 0;
    await source.read(5);
    expect(calls[0]).toBe("weur-0"); // the penalty is over: tried again
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
    const { source, calls } = tier({ "weur-0": "down", "eeur-0": "lagging" });
    expect(await source.read(-1)).toMatchObject({ status: "snapshot", snapshot: { version: 5 } });
    expect(calls).toEqual(["weur-0", "eeur-0", "primary"]);
    expect(source.stats).toMatchObject({ bypassed: 2, primaryReads: 1 });
  });
});

runConfigSourceContract("the replica tier (fake replicas)", async () => {
  const { source, change } = tier({});
  return { source, change: async () => void change() };
});
