/**
 * The commands on one rollout: put, patch, delete, kill and resume, pause and continue, promote,
 * and the scheduler's advance. Pure, like every command handler (./commands.ts); the steps they
 * share are in ./rollout-writes.ts.
 */
import { KillBodySchema, ResumeBodySchema } from "../../contracts/admin-wire";
import type { RolloutConfig, StoredRollout } from "../../contracts/rollout";
import { auditDiff } from "./audit-summary";
import type { Command, CommandHandler, CommandOutcome, ControlState } from "./commands";
import { checkVersion, existing, invalid, invalidState, mergePatch, parseBody, replaceMeta, storeConfig, validateConfig } from "./rollout-writes";
import { unknownSegmentIssues } from "./segments";

/**
 * `killed` is changed only by kill and resume (so the audit log says who and why): a replace or
 * patch keeps the rollout's kill state whatever its body says, and says so.
 */
function keepKillState(config: RolloutConfig, previous: StoredRollout | undefined): { config: RolloutConfig; notices: string[] } {
  if (!previous || previous.config.killed === config.killed) return { config, notices: [] };
  const notice = previous.config.killed
    ? "The rollout stays killed: only POST …/resume clears a kill (so the audit log says who and why)."
    : "killed was ignored: use POST …/kill to kill a rollout (so the audit log says who and why).";
  return { config: { ...config, killed: previous.config.killed }, notices: [notice] };
}

/** A 422 when the config's rules name segments that do not exist. */
function missingSegments(config: RolloutConfig, state: ControlState): CommandOutcome | undefined {
  const issues = unknownSegmentIssues(config, state);
  return issues.length ? invalid("the rollout's rules name segments that do not exist", issues) : undefined;
}

/** `PUT /rollouts/:id`: create or replace a rollout (its kill state stays; its rules may name only existing segments). */
export const putRollout: CommandHandler<Extract<Command, { type: "put" }>> = (state, command, ctx) => {
  const previous = state.rollouts.get(command.id);
  const valid = validateConfig(command.id, command.body);
  if (!valid.ok) return valid.outcome;
  const missing = missingSegments(valid.config, state);
  if (missing) return missing;
  const stale = checkVersion(previous?.version ?? 0, command.ifMatch);
  if (stale) return stale;
  const { config, notices } = keepKillState(valid.config, previous);
  return storeConfig(state, config, previous, ctx, previous ? "replace" : "create", null, notices);
};

/** `PATCH /rollouts/:id`: a JSON merge patch on the stored config, validated like a PUT body. */
export const patchRollout: CommandHandler<Extract<Command, { type: "patch" }>> = (state, command, ctx) => {
  const previous = state.rollouts.get(command.id);
  if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
  const body = command.patch;
  if (body === null || typeof body !== "object" || Array.isArray(body))
    return invalid("a PATCH body must be a JSON object (a JSON merge patch)", [{ pointer: "", message: "expected an object" }]);
  if ("id" in body && (body as { id: unknown }).id !== command.id)
    return invalid("a rollout's id cannot be changed", [{ pointer: "/id", message: "cannot be changed; create a new rollout instead" }]);
  const valid = validateConfig(command.id, mergePatch(previous.config, body));
  if (!valid.ok) return valid.outcome;
  const missing = missingSegments(valid.config, state);
  if (missing) return missing;
  const stale = checkVersion(previous.version, command.ifMatch);
  if (stale) return stale;
  const { config, notices } = keepKillState(valid.config, previous);
  return storeConfig(state, config, previous, ctx, "patch", null, notices);
};

/** `DELETE /rollouts/:id`. */
export const deleteRollout: CommandHandler<Extract<Command, { type: "delete" }>> = (state, command, ctx) => {
  const found = existing(state, command.id, command.ifMatch);
  if (!found.ok) return found.outcome;
  const rollouts = new Map(state.rollouts);
  rollouts.delete(command.id);
  const version = state.version + 1;
  const diff = auditDiff(found.rollout.config, null);
  return {
    ok: true,
    changed: true,
    state: { ...state, version, rollouts },
    rollout: null,
    audit: { at: ctx.now.toISOString(), actor: ctx.actor, action: "delete", rolloutId: command.id, version, before: diff.before, after: null, reason: null },
  };
};

/** A rollout's own kill switch on (`kill`) or off (`resume`); the same state again changes nothing. */
export const killOrResume: CommandHandler<Extract<Command, { type: "kill" | "resume" }>> = (state, command, ctx) => {
  const previous = state.rollouts.get(command.id);
  if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
  const body = parseBody(command.type === "kill" ? KillBodySchema : ResumeBodySchema, command.body, command.type);
  if (!body.ok) return body.outcome;
  const stale = checkVersion(previous.version, command.ifMatch);
  if (stale) return stale;
  const killed = command.type === "kill";
  if (previous.config.killed === killed) return { ok: true, changed: false, state, rollout: previous };
  return storeConfig(state, { ...previous.config, killed }, previous, ctx, command.type, body.data.reason || null);
};

/** Stop (`pause`) or go on (`continue`) advancing a staged rollout through its stages. */
export const pauseOrContinue: CommandHandler<Extract<Command, { type: "pause" | "continue" }>> = (state, command, ctx) => {
  const previous = state.rollouts.get(command.id);
  if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
  const body = parseBody(ResumeBodySchema, command.body, command.type);
  if (!body.ok) return body.outcome;
  if (!previous.config.stages) return invalidState(`rollout "${command.id}" has no stages: there is nothing to ${command.type}`);
  const stale = checkVersion(previous.version, command.ifMatch);
  if (stale) return stale;
  const paused = command.type === "pause";
  if ((previous.paused ?? false) === paused) return { ok: true, changed: false, state, rollout: previous };
  const reason = body.data.reason || null;
  // After `continue` the guard judges only traffic from now on: what made it pause is history.
  const meta = paused ? { paused, pauseReason: reason } : { paused, pauseReason: null, guardSince: ctx.now.toISOString() };
  return replaceMeta(state, previous, meta, ctx, command.type, reason);
};

/** The next stage's percentage, or why the rollout cannot move to it. */
function nextStage(state: ControlState, previous: StoredRollout): { ok: true; percent: number } | { ok: false; outcome: CommandOutcome } {
  const id = previous.config.id;
  const stages = previous.config.stages;
  if (!stages) return { ok: false, outcome: invalidState(`rollout "${id}" has no stages to promote through; set its percent instead`) };
  if (previous.config.killed || state.globalKill.killed) return { ok: false, outcome: invalidState(`rollout "${id}" is killed: resume it before promoting`) };
  const next = stages.find((s) => s.percent > previous.config.percent);
  if (!next) return { ok: false, outcome: invalidState(`rollout "${id}" is at its last stage (${previous.config.percent}%)`) };
  return { ok: true, percent: next.percent };
}

/** An operator moves a staged rollout to its next stage now. */
export const promote: CommandHandler<Extract<Command, { type: "promote" }>> = (state, command, ctx) => {
  const previous = state.rollouts.get(command.id);
  if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
  const next = nextStage(state, previous);
  if (!next.ok) return next.outcome;
  const body = parseBody(ResumeBodySchema, command.body, "promote");
  if (!body.ok) return body.outcome;
  const stale = checkVersion(previous.version, command.ifMatch);
  if (stale) return stale;
  return storeConfig(state, { ...previous.config, percent: next.percent }, previous, ctx, "promote", body.data.reason || "promoted by an operator");
};

/** The stage scheduler moves a rollout to the percentage its plan names. */
export const advance: CommandHandler<Extract<Command, { type: "advance" }>> = (state, command, ctx) => {
  const previous = state.rollouts.get(command.id);
  if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
  const next = nextStage(state, previous);
  if (!next.ok) return next.outcome;
  return storeConfig(state, { ...previous.config, percent: command.percent }, previous, ctx, "advance", command.reason);
};
