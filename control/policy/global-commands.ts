/**
 * The commands above every rollout: the global kill switch and the revocation of QA override
 * tokens. Pure, like every command handler (./commands.ts).
 */
import { KillBodySchema, ResumeBodySchema, RevokeOverridesBodySchema } from "../../contracts/admin-wire";
import type { GlobalKill, OverrideSettings } from "../../contracts/rollout";
import type { Command, CommandHandler } from "./commands";
import { checkVersion, invalid, parseBody } from "./rollout-writes";

/** The global kill switch on (`kill-all`) or off (`resume-all`): above every rollout's own. */
export const killOrResumeAll: CommandHandler<Extract<Command, { type: "kill-all" | "resume-all" }>> = (state, command, ctx) => {
  const killed = command.type === "kill-all";
  const body = parseBody(killed ? KillBodySchema : ResumeBodySchema, command.body, killed ? "kill" : "resume");
  if (!body.ok) return body.outcome;
  const stale = checkVersion(state.version, command.ifMatch);
  if (stale) return stale;
  if (state.globalKill.killed === killed) return { ok: true, changed: false, state, rollout: null };
  const reason = body.data.reason || null;
  const version = state.version + 1;
  const at = ctx.now.toISOString();
  const next: GlobalKill = killed ? { killed, reason, at, by: ctx.actor } : { killed, reason: null, at: null, by: null };
  // After a global resume, guards judge only traffic from now on, as after a rollout's own resume
  // (what happened before the kill is history). Not a config change: rollout versions stay.
  const rollouts = killed ? state.rollouts : new Map([...state.rollouts].map(([id, r]) => [id, { ...r, guardSince: at }]));
  return {
    ok: true,
    changed: true,
    state: { ...state, version, globalKill: next, rollouts },
    rollout: null,
    audit: { at, actor: ctx.actor, action: command.type, rolloutId: null, version, before: state.globalKill, after: next, reason },
  };
};

/** Every QA override token issued before a time stops working (default: now). */
export const revokeOverrides: CommandHandler<Extract<Command, { type: "revoke-overrides" }>> = (state, command, ctx) => {
  const body = parseBody(RevokeOverridesBodySchema, command.body, "revoke");
  if (!body.ok) return body.outcome;
  const before = body.data.before ? new Date(body.data.before) : ctx.now;
  if (before.getTime() > ctx.now.getTime())
    return invalid("the revoke body is invalid", [{ pointer: "/before", message: "must not be in the future: tokens not issued yet cannot be revoked" }]);
  const revokedBefore = before.toISOString();
  if (state.overrides.revokedBefore !== null && state.overrides.revokedBefore >= revokedBefore) return { ok: true, changed: false, state, rollout: null };
  const version = state.version + 1;
  const overrides: OverrideSettings = { revokedBefore };
  return {
    ok: true,
    changed: true,
    state: { ...state, version, overrides },
    rollout: null,
    audit: {
      at: ctx.now.toISOString(),
      actor: ctx.actor,
      action: "revoke-overrides",
      rolloutId: null,
      version,
      before: state.overrides,
      after: overrides,
      reason: body.data.reason || null,
    },
  };
};
