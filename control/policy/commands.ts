/**
 * The control plane's write policy: each admin command applied to plain state, returning the
 * next state and its audit entry, or a precise error. No `this`, no I/O, no clock (`now` is
 * passed in). The Durable Object only loads state, calls this, and saves the result.
 *
 * One handler per command (below, in the HANDLERS table); the steps they share are in
 * ./rollout-writes.ts.
 */
import { KillBodySchema, ResumeBodySchema, RevokeOverridesBodySchema } from "../../contracts/admin-wire";
import type { AuditEntry } from "../../contracts/audit";
import { toFieldIssues, type FieldIssue } from "../../contracts/field-issues";
import { RolloutId, type ConfigSnapshot, type GlobalKill, type OverrideSettings, type RolloutConfig, type StoredRollout } from "../../contracts/rollout";
import type { StoredSegment } from "../../contracts/rules";
import { snapshotToken, type StoredToken } from "../../contracts/tokens";
import { approve, type ApproveCommand } from "./approve";
import { auditDiff } from "./audit-summary";
import { existing, invalid, invalidState, mergePatch, parseBody, replaceMeta, storeConfig, validateConfig, checkVersion } from "./rollout-writes";
import { deleteSegment, putSegment, type SegmentCommand, unknownSegmentIssues } from "./segments";
import { createToken, revokeToken, type TokenCommand } from "./tokens";

export { findOverlap, mergePatch, validateConfig } from "./rollout-writes";

export interface ControlState {
  /** Monotonically increasing; 0 = never configured. */
  version: number;
  globalKill: GlobalKill;
  overrides: OverrideSettings;
  rollouts: ReadonlyMap<string, StoredRollout>;
  /** Named admin tokens by id (control/policy/tokens.ts); none in objects that predate them. */
  tokens: ReadonlyMap<string, StoredToken>;
  /** Segments by name (./segments.ts); none in objects that predate them. */
  segments: ReadonlyMap<string, StoredSegment>;
}

export const EMPTY_STATE: ControlState = {
  version: 0,
  globalKill: { killed: false, reason: null, at: null, by: null },
  overrides: { revokedBefore: null },
  rollouts: new Map(),
  tokens: new Map(),
  segments: new Map(),
};

export type CommandError =
  | { kind: "invalid"; detail: string; issues: FieldIssue[] }
  | { kind: "not-found"; rolloutId: string }
  | { kind: "version-mismatch"; expected: number; current: number }
  | { kind: "conflict"; detail: string }
  /** The command does not apply to the rollout as it is now (no stages, last stage, killed). */
  | { kind: "invalid-state"; detail: string }
  | { kind: "token-not-found"; tokenId: string }
  /** `POST …/signals/:name` for a name none of the rollout's signal checks reads (`known`: the names they read). */
  | { kind: "signal-not-found"; rolloutId: string; name: string; known: string[] }
  | { kind: "token-name-taken"; name: string }
  | { kind: "segment-not-found"; segment: string }
  /** A segment that rollouts' rules name cannot be deleted. */
  | { kind: "segment-in-use"; segment: string; rollouts: string[] };

export type Command =
  | { type: "put"; id: string; body: unknown; ifMatch?: number }
  | { type: "patch"; id: string; patch: unknown; ifMatch?: number }
  | { type: "delete"; id: string; ifMatch?: number }
  | { type: "kill"; id: string; body: unknown; ifMatch?: number }
  | { type: "resume"; id: string; body: unknown; ifMatch?: number }
  | { type: "kill-all"; body: unknown; ifMatch?: number }
  | { type: "resume-all"; body: unknown; ifMatch?: number }
  | { type: "revoke-overrides"; body: unknown }
  | { type: "pause"; id: string; body: unknown; ifMatch?: number }
  | { type: "continue"; id: string; body: unknown; ifMatch?: number }
  | { type: "promote"; id: string; body: unknown; ifMatch?: number }
  /** Let a staged rollout into its next stage, one that requires approval (./approve.ts). */
  | ApproveCommand
  /** The stage scheduler moving a rollout on (not an operator command). */
  | { type: "advance"; id: string; percent: number; reason: string }
  | TokenCommand
  | SegmentCommand;

export interface CommandContext {
  now: Date;
  /** Who acts: the token's name (`admin` for ADMIN_TOKEN), or `guard`, `stages`, `seed`. */
  actor: string;
  /** What the request claims beyond its token, e.g. `X-Actor: alice@example.com`; goes into the audit entry. */
  note?: string;
}

/** `segment`: what a segment command left (null once deleted); absent for every other command. */
export type CommandOutcome =
  | { ok: true; changed: true; state: ControlState; audit: AuditEntry; rollout: StoredRollout | null; notices?: string[]; segment?: StoredSegment | null }
  | { ok: true; changed: false; state: ControlState; rollout: StoredRollout | null; notices?: string[]; segment?: StoredSegment | null }
  | { ok: false; error: CommandError };

type Handler<C extends Command> = (state: ControlState, command: C, ctx: CommandContext) => CommandOutcome;
type Handlers = { [K in Command["type"]]: Handler<Extract<Command, { type: K }>> };

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

const put: Handler<Extract<Command, { type: "put" }>> = (state, command, ctx) => {
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

const patch: Handler<Extract<Command, { type: "patch" }>> = (state, command, ctx) => {
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

const remove: Handler<Extract<Command, { type: "delete" }>> = (state, command, ctx) => {
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

const killOrResume: Handler<Extract<Command, { type: "kill" | "resume" }>> = (state, command, ctx) => {
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

const pauseOrContinue: Handler<Extract<Command, { type: "pause" | "continue" }>> = (state, command, ctx) => {
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

const promote: Handler<Extract<Command, { type: "promote" }>> = (state, command, ctx) => {
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

const advance: Handler<Extract<Command, { type: "advance" }>> = (state, command, ctx) => {
  const previous = state.rollouts.get(command.id);
  if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
  const next = nextStage(state, previous);
  if (!next.ok) return next.outcome;
  return storeConfig(state, { ...previous.config, percent: command.percent }, previous, ctx, "advance", command.reason);
};

const globalKill: Handler<Extract<Command, { type: "kill-all" | "resume-all" }>> = (state, command, ctx) => {
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
const revokeOverrides: Handler<Extract<Command, { type: "revoke-overrides" }>> = (state, command, ctx) => {
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

const HANDLERS: Handlers = {
  put,
  patch,
  delete: remove,
  kill: killOrResume,
  resume: killOrResume,
  pause: pauseOrContinue,
  continue: pauseOrContinue,
  promote,
  approve,
  advance,
  "kill-all": globalKill,
  "resume-all": globalKill,
  "revoke-overrides": revokeOverrides,
  "token-create": createToken,
  "token-revoke": revokeToken,
  "segment-put": putSegment,
  "segment-delete": deleteSegment,
};

/** Apply one admin command. */
export function applyCommand(state: ControlState, command: Command, ctx: CommandContext): CommandOutcome {
  if ("id" in command) {
    const id = RolloutId.safeParse(command.id);
    if (!id.success)
      return invalid(
        "the rollout id in the URL is invalid",
        toFieldIssues(id.error).map((i) => ({ ...i, pointer: "/id" })),
      );
  }
  const outcome = (HANDLERS[command.type] as Handler<Command>)(state, command, ctx);
  if (!ctx.note || !outcome.ok || !outcome.changed) return outcome;
  return { ...outcome, audit: { ...outcome.audit, note: ctx.note } };
}

/** The seed rollout created on first start from the worker's vars. */
export function seedState(state: ControlState, config: RolloutConfig, now: Date): { state: ControlState; audit: AuditEntry } {
  const at = now.toISOString();
  const version = state.version + 1;
  const rollout: StoredRollout = { config, version, updatedAt: at, updatedBy: "seed", killReason: null, percentSince: at, guardSince: at, paused: false, pauseReason: null };
  const rollouts = new Map(state.rollouts).set(config.id, rollout);
  return {
    state: { ...state, version, rollouts },
    audit: {
      at,
      actor: "seed",
      action: "seed",
      rolloutId: config.id,
      version,
      before: null,
      after: auditDiff(null, config).after,
      reason: "first start: seeded from LEGACY_ORIGIN, NEW_ORIGIN and INITIAL_PERCENT",
    },
  };
}

/** What isolates cache. */
export function toSnapshot(state: ControlState): ConfigSnapshot {
  return {
    version: state.version,
    globalKill: state.globalKill,
    overrides: state.overrides,
    tokens: [...state.tokens.values()].map(snapshotToken),
    segments: [...state.segments.values()].map((s) => ({ name: s.name, when: s.when })),
    rollouts: [...state.rollouts.values()],
  };
}
