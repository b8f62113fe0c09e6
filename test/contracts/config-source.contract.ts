/**
 * The contract every ConfigSource keeps (the primary Durable Object, the replica tier, ...): a full
 * snapshot to an isolate that holds none, a cheap `unchanged` to one that is current, and versions
 * that only move forward, so that a change acknowledged by the admin API reaches every isolate.
 */
import { describe, expect, it } from "vitest";
import type { ConfigSource, SnapshotReply } from "../../contracts/config-source";

export interface SourceUnderTest {
  source: ConfigSource;
  /** Make one acknowledged config change (e.g. a percentage change through the admin API). */
  change(): Promise<void>;
}

function snapshotOf(reply: SnapshotReply) {
  if (reply.status !== "snapshot") throw new Error(`expected a snapshot, got ${JSON.stringify(reply).slice(0, 200)}`);
  return reply.snapshot;
}

export function runConfigSourceContract(name: string, make: () => Promise<SourceUnderTest>): void {
  describe(`ConfigSource contract: ${name}`, () => {
    it("gives a full snapshot to an isolate that holds none", async () => {
      const { source } = await make();
      const snapshot = snapshotOf(await source.read(-1));
      expect(snapshot.version).toBeGreaterThan(0);
      expect(snapshot.rollouts.length).toBeGreaterThan(0);
    });

    it("answers `unchanged`, without the config, to an isolate that already holds the current version", async () => {
      const { source } = await make();
      const { version } = snapshotOf(await source.read(-1));
      expect(await source.read(version)).toMatchObject({ status: "unchanged", version });
    });

    it("gives a newer snapshot after an acknowledged change, and never an older version after it", async () => {
      const { source, change } = await make();
      const before = snapshotOf(await source.read(-1)).version;
      await change();
      const after = snapshotOf(await source.read(before));
      expect(after.version).toBeGreaterThan(before);
      const again = await source.read(-1);
      expect(snapshotOf(again).version).toBeGreaterThanOrEqual(after.version);
    });
  });
}
