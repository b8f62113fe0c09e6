import { describe, expect, it } from "vitest";
import type { SnapshotReply } from "../../contracts/config-source";
import { emptyRolloutStats, type HealthFlush } from "../../contracts/health";
import { RolloutConfigSchema } from "../../contracts/rollout";
import { addHealth, answer, CONFIRM_EVERY_MS, EMPTY_REPLICA, FORWARD_EVERY_MS, fromPrimary, needsConfirm, takeForward } from "../../control/policy/replica";

const snap = (version: number): SnapshotReply => ({
  status: "snapshot",
  snapshot: {
    version,
    globalKill: { killed: false, reason: null, at: null, by: null },
    rollouts: [
      {
        config: RolloutConfigSchema.parse({ id: "r", origins: { legacy: "https://l.example", new: "https://n.example" } }),
        version,
        updatedAt: "",
        updatedBy: "",
        killReason: null,
      },
    ],
  },
});
const flush = (requests: number): HealthFlush => {
  const stats = emptyRolloutStats();
  stats.new.requests = requests;
  return { rollouts: { r: stats } };
};

describe("a regional replica", () => {
  it("holds the newest snapshot the primary sent, whatever order pushes arrive in", () => {
    let s = fromPrimary(EMPTY_REPLICA, snap(3), 1000);
    s = fromPrimary(s, snap(2), 1100); // a late push of an older version
    expect(s.version).toBe(3);
    expect(s.confirmedAt).toBe(1000);
    s = fromPrimary(s, { status: "unchanged", version: 3 }, 1300);
    expect(s.confirmedAt).toBe(1300);
    s = fromPrimary(s, { status: "unchanged", version: 2 }, 1400); // unchanged for another version: no confirmation
    expect(s.confirmedAt).toBe(1300);
  });

  it("answers with asOf = when the primary last confirmed it, and unchanged to an isolate that holds its version", () => {
    const s = fromPrimary(EMPTY_REPLICA, snap(4), 5000);
    expect(answer(EMPTY_REPLICA, -1)).toBeUndefined();
    expect(answer(s, -1)).toMatchObject({ status: "snapshot", asOf: 5000 });
    expect(answer(s, 4)).toEqual({ status: "unchanged", version: 4, asOf: 5000 });
  });

  it("asks the primary again once its confirmation is CONFIRM_EVERY_MS old", () => {
    const s = fromPrimary(EMPTY_REPLICA, snap(1), 0);
    expect(needsConfirm(s, CONFIRM_EVERY_MS - 1)).toBe(false);
    expect(needsConfirm(s, CONFIRM_EVERY_MS)).toBe(true);
    expect(needsConfirm(EMPTY_REPLICA, 0)).toBe(true);
  });

  it("merges its isolates' health and forwards it at most once per FORWARD_EVERY_MS, losing nothing", () => {
    let s = EMPTY_REPLICA;
    const forwarded: HealthFlush[] = [];
    for (let t = 0; t < 3000; t += 100) {
      const r = addHealth(s, flush(10), t);
      s = r.state;
      if (r.forward) forwarded.push(r.forward);
    }
    const rest = takeForward(s, 10_000);
    if (rest.forward) forwarded.push(rest.forward);
    expect(forwarded.length).toBeLessThanOrEqual(Math.ceil(3000 / FORWARD_EVERY_MS) + 1);
    expect(forwarded.reduce((n, f) => n + f.rollouts.r!.new.requests, 0)).toBe(300);
  });
});
