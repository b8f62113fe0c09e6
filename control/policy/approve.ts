/**
 * `approve`: an operator lets a staged rollout into its next stage, one that has
 * `requiresApproval`. The approval is stored for that stage (and the percentage it was given at);
 * the scheduler enters the stage at its next check once the hold, the guard and the schedule
 * allow. Pure, like every command handler (./commands.ts).
 */
import { ApproveBodySchema } from "../../contracts/admin-wire";
import type { StageApproval } from "../../contracts/rollout";
import type { CommandContext, CommandOutcome, ControlState } from "./commands";
import { checkVersion, invalidState, notFound, parseBody, replaceMeta } from "./rollout-writes";
import { approvedPercent } from "./schedule";
import { nextStageOf } from "./stages";

export interface ApproveCommand {
  type: "approve";
  id: string;
  body: unknown;
  ifMatch?: number;
}

/**
 * Approves the next stage. Refused (409 invalid-state) when no next stage waits for an approval:
 * no stages, at the last stage, or a next stage without `requiresApproval`. Approving a stage
 * already approved changes nothing (like killing a killed rollout). A killed or paused rollout may
 * be approved: the approval waits for its resume or continue.
 */
export function approve(state: ControlState, command: ApproveCommand, ctx: CommandContext): CommandOutcome {
  const previous = state.rollouts.get(command.id);
  if (!previous) return notFound(command.id);
  const body = parseBody(ApproveBodySchema, command.body, "approve");
  if (!body.ok) return body.outcome;
  const { id, stages, percent } = previous.config;
  if (!stages) return invalidState(`rollout "${id}" has no stages: there is nothing to approve`);
  const next = nextStageOf(stages, percent);
  if (!next) return invalidState(`rollout "${id}" is at its last stage (${percent}%): there is nothing to approve`);
  if (!next.requiresApproval) return invalidState(`the next stage of rollout "${id}" (${next.percent}%) does not require approval: nothing waits for one`);
  const stale = checkVersion(previous.version, command.ifMatch);
  if (stale) return stale;
  if (approvedPercent(previous) === next.percent) return { ok: true, changed: false, state, rollout: previous };
  const reason = body.data.reason || null;
  const approval: StageApproval = { percent: next.percent, fromPercent: percent, at: ctx.now.toISOString(), by: ctx.actor, reason };
  return replaceMeta(state, previous, { approval }, ctx, "approve", reason);
}
