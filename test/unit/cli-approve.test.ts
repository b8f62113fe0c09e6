/** The tool's side of approvals and warnings: the command line, and how status and watch say it. */
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../cli/args";
import type { Health, RolloutList, RolloutView } from "../../cli/shapes";
import { formatStatusDetail, formatStatusTable } from "../../cli/commands/status";
import { formatHealth } from "../../cli/commands/watch";
import { NO_COLORS } from "../../cli/format";
import { RolloutConfigSchema } from "../../contracts/rollout";

const now = new Date("2026-11-22T16:05:00Z");
const stages = [
  { percent: 10, holdSeconds: 600 },
  { percent: 50, holdSeconds: 600, requiresApproval: true },
];
const gated = (over: Partial<RolloutView> = {}): RolloutView => ({
  id: "cart",
  status: "live",
  version: 7,
  updatedAt: "2026-11-22T16:01:02.000Z",
  updatedBy: "stages",
  killReason: null,
  percentSince: "2026-11-22T15:01:02.000Z",
  paused: false,
  pauseReason: null,
  approval: null,
  stage: {
    index: 0,
    count: 2,
    percent: 10,
    holdSeconds: 600,
    enteredAt: "2026-11-22T15:01:02.000Z",
    nextPercent: 50,
    nextDueAt: "2026-11-22T15:11:02.000Z",
    waiting: "awaiting approval to enter 50%: the hold is done, guard healthy",
    awaitingApproval: true,
  },
  config: RolloutConfigSchema.parse({ id: "cart", origins: { legacy: "https://old.example", new: "https://new.example" }, percent: 10, stages }),
  ...over,
});

describe("edge-router approve", () => {
  it("takes a rollout id and a reason, and nothing else", () => {
    expect(parseArgs(["approve", "cart", "--reason", "go"])).toMatchObject({ command: { name: "approve" }, args: ["cart"], values: { reason: "go" } });
    expect(() => parseArgs(["approve"])).toThrow(/^usage: edge-router approve <id>/);
    expect(() => parseArgs(["approve", "cart", "--all"])).toThrow("approve has no option --all (see edge-router approve --help)");
  });
});

describe("status", () => {
  it("says in the table that a rollout awaits approval, and how to give it", () => {
    const list: RolloutList = { version: 9, globalKill: { killed: false, reason: null, at: null, by: null }, rollouts: [gated()] };
    expect(formatStatusTable(list, NO_COLORS, now).split("\n")[1]).toBe(
      "cart  live        10%  1/2          7  2026-11-22 16:01:02  stages  awaiting approval for 50% (edge-router approve cart)",
    );
  });

  it("shows in detail what the stage waits for, and who approved once approved", () => {
    const waiting = formatStatusDetail(gated(), undefined, NO_COLORS, now);
    expect(waiting).toContain("\n  stage       1 of 2 (10%), next 50%; awaiting approval to enter 50%: the hold is done, guard healthy\n");
    expect(waiting).toContain("\n  approval    awaiting approval for 50%: edge-router approve cart [--reason TEXT]\n");
    const approved = gated({
      approval: { percent: 50, fromPercent: 10, at: "2026-11-22T16:04:00.000Z", by: "alice", reason: "go/no-go passed" },
      stage: { ...gated().stage!, awaitingApproval: false, waiting: "moving to 50% at the next check" },
    });
    expect(formatStatusDetail(approved, undefined, NO_COLORS, now)).toContain('\n  approval    50% approved by alice at 2026-11-22 16:04:00 UTC ("go/no-go passed")\n');
  });
});

describe("watch", () => {
  it("lists the guard's warnings under its verdict", () => {
    const variant = { requests: 500, errors: 15, clientErrors: 0, errorRate: 0.03, p50: 10, p95: 20, p99: 30, users: 40, errorUsers: 12, errorIps: 9 };
    const health: Health = {
      rollout: "cart",
      windowSeconds: 60,
      legacy: variant,
      new: variant,
      verdict: {
        status: "healthy",
        summary: "Within limits.",
        breaches: [],
        warnings: [{ limit: "maxErrorRate", threshold: 0.02, value: 0.03, baseline: 0.03, sentence: "new error rate 3.0% … exceeds warn.maxErrorRate 2.0%" }],
      },
    };
    expect(formatHealth("cart", health, NO_COLORS, now).split("\n").slice(-2)).toEqual([
      "guard  healthy: Within limits.",
      "       ! new error rate 3.0% … exceeds warn.maxErrorRate 2.0%",
    ]);
  });
});
