/**
 * examples/plans/: one config file per seed rollout plan, in the format `edge-router apply` reads,
 * and the webhook settings they share. Each must be valid as the router validates it (schemas,
 * segment references, cross-field rules), and all of them must fit on one router together.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { missingSegments } from "../../cli/commands/apply";
import { parseConfigText } from "../../cli/config-file";
import { applyCommand, EMPTY_STATE, type ControlState } from "../../control/policy/commands";
import { NotificationsPutSchema } from "../../contracts/notifications";
import { RolloutConfigSchema } from "../../contracts/rollout";
import { SegmentBodySchema } from "../../contracts/rules";

const DIR = join(import.meta.dirname, "..", "..", "examples", "plans");
const PLAN_FILES = readdirSync(DIR)
  .filter((f) => /^plan-\d+-[a-z0-9-]+\.json$/.test(f))
  .sort();
const read = (file: string) => readFileSync(join(DIR, file), "utf8");

function parsed(file: string) {
  const result = parseConfigText(read(file));
  if (!result.ok) throw new Error(`${file}:\n${result.problems.join("\n")}`);
  return result;
}

describe("examples/plans", () => {
  it("holds one config file per seed plan, plan-0 to plan-4", () => {
    expect(PLAN_FILES.map((f) => f.split("-")[1])).toEqual(["0", "1", "2", "3", "4"]);
  });

  it.each(PLAN_FILES)("%s: every rollout passes RolloutConfigSchema and every segment SegmentBodySchema, as written", (file) => {
    const raw = JSON.parse(read(file)) as { rollouts: unknown[]; segments?: Array<Record<string, unknown>> };
    for (const rollout of raw.rollouts) {
      const result = RolloutConfigSchema.safeParse(rollout);
      expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
    }
    for (const segment of raw.segments ?? []) expect(SegmentBodySchema.safeParse(segment).success).toBe(true);
    const { rollouts, segments } = parsed(file);
    expect(missingSegments(rollouts, new Set(segments.map((s) => s.name)))).toEqual([]);
  });

  it("applies, all together, to one control plane as the router would take them (segments first)", () => {
    let state: ControlState = EMPTY_STATE;
    const ctx = { now: new Date("2026-11-28T12:00:00Z"), actor: "examples" };
    const run = (command: Parameters<typeof applyCommand>[1]) => {
      const outcome = applyCommand(state, command, ctx);
      if (!outcome.ok) throw new Error(`${JSON.stringify(command).slice(0, 120)}: ${JSON.stringify(outcome.error)}`);
      state = outcome.state;
    };
    for (const file of PLAN_FILES) {
      const { rollouts, segments } = parsed(file);
      for (const { name, ...body } of segments) run({ type: "segment-put", name, body });
      for (const { config } of rollouts) run({ type: "put", id: config.id, body: config, ifMatch: 0 });
    }
    expect(state.rollouts.size).toBe(PLAN_FILES.length);
  });

  it("shows the plans' own levers: stages with holds, go/no-go approvals, guards with warnings, and rules or an allowlist for the first cohort", () => {
    for (const file of PLAN_FILES) {
      for (const { config } of parsed(file).rollouts) {
        expect(config.stages?.length, file).toBeGreaterThanOrEqual(4);
        expect(
          config.stages?.some((s) => s.requiresApproval),
          file,
        ).toBe(true);
        expect(config.guard?.maxErrorRate ?? config.guard?.maxErrorRateDelta, file).toBeDefined();
      }
    }
    const firstCohorts = PLAN_FILES.flatMap((f) => parsed(f).rollouts).filter((r) => r.config.rules?.length || r.config.allowlist.new.length);
    expect(firstCohorts.length).toBeGreaterThanOrEqual(4);
  });

  it("has webhook settings the router accepts", () => {
    const result = NotificationsPutSchema.safeParse(JSON.parse(read("notifications.json")));
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
  });

  it("is described in the README's table, file by file", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    for (const file of [...PLAN_FILES, "notifications.json"]) expect(readme).toContain(`examples/plans/${file}`);
  });
});
