/** Fixtures for tests of the control plane's write policy (control/policy/commands.ts), run without a runtime. */
import { applyCommand, EMPTY_STATE, seedState, type Command, type CommandOutcome, type ControlState } from "../../control/policy/commands";
import { RolloutConfigSchema } from "../../contracts/rollout";

/** Every command of these tests happens at this time, by this actor. */
export const ctx = { now: new Date("2026-11-22T12:00:00Z"), actor: "ops" };

/** Two origins a rollout config accepts. */
export const origins = { legacy: "https://legacy.example", new: "https://new.example" };

/** `command` applied to `state` at ctx. */
export const run = (state: ControlState, command: Command): CommandOutcome => applyCommand(state, command, ctx);

/** The outcome of a command that must succeed (the test fails with the error otherwise). */
export function ok(outcome: CommandOutcome) {
  if (!outcome.ok) throw new Error(`expected success, got ${JSON.stringify(outcome.error)}`);
  return outcome;
}

/** The error of a command that must fail. */
export function err(outcome: CommandOutcome) {
  if (outcome.ok) throw new Error("expected an error");
  return outcome.error;
}

/** The state after the first start: the `default` rollout seeded with these config fields (origins given). */
export function seedDefault(config: Record<string, unknown> = {}): ControlState {
  return seedState(EMPTY_STATE, RolloutConfigSchema.parse({ id: "default", origins, ...config }), ctx.now).state;
}
