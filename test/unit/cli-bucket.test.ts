import { describe, expect, it } from "vitest";
import vectors from "../fixtures/hash-vectors.json";
import { explainBucket, formatBucket } from "../../cli/bucket";
import { NO_COLORS } from "../../cli/format";
import { RolloutConfigSchema, type ConfigSnapshot, type GlobalKill, type RolloutConfig } from "../../contracts/rollout";

const OFF: GlobalKill = { killed: false, reason: null, at: null, by: null };

function snapshot(over: Record<string, unknown>, globalKill = OFF, killReason: string | null = null): ConfigSnapshot {
  const config: RolloutConfig = RolloutConfigSchema.parse({ id: "r", origins: { legacy: "https://old.example", new: "https://new.example" }, ...over });
  return { version: 7, globalKill, rollouts: [{ config, version: 7, updatedAt: "", updatedBy: "", killReason }] };
}

describe("bucket explanation", () => {
  it.each(vectors.vectors)("agrees with the published vectors for $userId (salt $salt)", ({ salt, userId, bucket, inNewAt }) => {
    for (const [percent, inNew] of Object.entries(inNewAt)) {
      const e = explainBucket(snapshot({ salt, percent: Number(percent) }), "r", userId)!;
      expect(e.bucket).toBe(bucket);
      expect(e.variant, `at ${percent}%`).toBe(inNew ? "new" : "legacy");
      expect(e.reason).toBe("bucket");
    }
  });

  it("enters new at bucket / 100 + 0.01, exactly at the threshold's edge", () => {
    const { bucket, entersNewAtPercent } = explainBucket(snapshot({ percent: 0 }), "r", "alice")!;
    expect(entersNewAtPercent).toBe((bucket + 1) / 100);
    expect(explainBucket(snapshot({ percent: entersNewAtPercent }), "r", "alice")!.variant).toBe("new");
    expect(explainBucket(snapshot({ percent: Math.round(entersNewAtPercent * 100 - 1) / 100 }), "r", "alice")!.variant).toBe("legacy");
  });

  it("follows the edge's precedence: kill switches, then allowlists, then the bucket", () => {
    const global = explainBucket(snapshot({ percent: 100 }, { killed: true, reason: "incident", at: null, by: "bob" }), "r", "alice")!;
    expect(global).toMatchObject({ variant: "legacy", reason: "killed", detail: "global", killReason: "incident", bucketVariant: "new" });
    expect(explainBucket(snapshot({ percent: 100, killed: true }, OFF, "spike"), "r", "alice")).toMatchObject({ variant: "legacy", detail: "rollout", killReason: "spike" });
    const verified = [{ jwt: { header: "authorization" } }];
    expect(explainBucket(snapshot({ percent: 0, stickiness: verified, allowlist: { new: ["alice"] } }), "r", "alice")).toMatchObject({ variant: "new", reason: "allowlist" });
    expect(explainBucket(snapshot({ percent: 100, stickiness: verified, allowlist: { new: ["alice"], legacy: ["alice"] } }), "r", "alice")).toMatchObject({
      variant: "legacy",
      reason: "allowlist",
    });
    // A rollout identified by a header: that id is only claimed, and never matches an allowlist (as at the edge).
    expect(explainBucket(snapshot({ percent: 0, allowlist: { new: ["alice"] } }), "r", "alice")).toMatchObject({ variant: "legacy", reason: "bucket" });
  });

  it("gives undefined for a rollout the snapshot does not have", () => {
    expect(explainBucket(snapshot({}), "other", "alice")).toBeUndefined();
  });

  it("reads as variant, why, bucket and from which percentage", () => {
    const e = explainBucket(snapshot({ id: "default", percent: 10 }), "default", "alice")!;
    expect(formatBucket(e, NO_COLORS)).toBe(
      [
        "alice → new  (bucket)",
        "  why       bucket 698 < threshold 1000 (10% × 100)",
        '  bucket    698 of 10,000: murmur3("default:alice") mod 10000 (hash spec v1)',
        "  in new    from 6.99% on (bucket 698 / 100 + 0.01), and at any higher percentage",
        "  rollout   default at 10%, config version 7",
      ].join("\n"),
    );
  });
});
