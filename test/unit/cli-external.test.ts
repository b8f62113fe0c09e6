/** How `edge-router status <id>` shows external checks and probes. */
import { describe, expect, it } from "vitest";
import type { RolloutView } from "../../cli/shapes";
import { formatStatusDetail } from "../../cli/commands/status";
import { NO_COLORS } from "../../cli/format";
import type { ExternalReport } from "../../contracts/external-wire";
import { RolloutConfigSchema } from "../../contracts/rollout";

const now = new Date("2026-11-22T16:05:00Z");
const view: RolloutView = {
  id: "cart",
  status: "live",
  version: 3,
  updatedAt: "2026-11-22T16:00:00.000Z",
  updatedBy: "admin",
  killReason: null,
  percentSince: "2026-11-22T16:00:00.000Z",
  paused: false,
  pauseReason: null,
  approval: null,
  stage: null,
  config: RolloutConfigSchema.parse({ id: "cart", origins: { legacy: "https://old.example", new: "https://new.example" }, percent: 10 }),
};
const report: ExternalReport = {
  since: "2026-11-22T16:00:00.000Z",
  checks: [
    {
      name: "queue_depth",
      provider: "prometheus",
      description: null,
      limit: "max 5,000",
      verdict: "pending",
      value: 5400,
      valueText: "5,400",
      valueAt: "2026-11-22T16:04:48.000Z",
      error: null,
      consecutiveFailures: 1,
      failureLimit: 2,
      polledAt: "2026-11-22T16:04:48.000Z",
    },
    {
      name: "smoke",
      provider: "signal",
      description: null,
      limit: "max 0.1",
      verdict: "pending",
      value: null,
      valueText: null,
      valueAt: null,
      error: "no value pushed yet",
      consecutiveFailures: 0,
      failureLimit: 1,
      polledAt: "2026-11-22T16:04:48.000Z",
    },
  ],
  verdict: null,
  probes: [
    {
      name: "health",
      variant: "new",
      method: "GET",
      path: "/healthz",
      results: [false, false],
      consecutiveFailures: 3,
      failureThreshold: 2,
      passing: false,
      lastAt: "2026-11-22T16:04:55.000Z",
      lastStatus: 503,
      lastError: "HTTP 503, expected 200",
    },
  ],
  probesPassing: false,
  probeFailures: ["probe health: GET /healthz on new failed 3 times in a row (last: HTTP 503, expected 200)"],
};

describe("status <id> with external checks and probes", () => {
  it("lists each check with its value against the limit and each probe with its last run, since when", () => {
    const text = formatStatusDetail(view, undefined, NO_COLORS, now, report);
    expect(text).toContain(
      [
        "  external    queue_depth (prometheus)  pending  5,400 (max 5,000), 12 s ago, 1 of 2 failures",
        "              smoke (signal)  pending  (max 0.1): no value pushed yet",
        "  probes      health on new (GET /healthz)  failing  3 failures in a row, last HTTP 503, expected 200 5 s ago",
        "              results since 2026-11-22 16:00:00 UTC (the last resume, continue or percentage change)",
      ].join("\n"),
    );
  });

  it("adds nothing without a report (an older router, or nothing external)", () => {
    expect(formatStatusDetail(view, undefined, NO_COLORS, now, null)).toBe(formatStatusDetail(view, undefined, NO_COLORS, now));
    expect(formatStatusDetail(view, undefined, NO_COLORS, now)).not.toContain("external");
  });
});
