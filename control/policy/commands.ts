/**
 * The control plane's write policy: each admin command applied to plain state, returning the
 * next state and its audit entry, or a precise error. No `this`, no I/O, no clock (`now` is
 * passed in). The Durable Object only loads state, calls this, and saves the result.
 *
 * One handler per command, in the HANDLERS table below, each in the module of its area:
 * ./rollout-commands.ts (one rollout), ./global-commands.ts (above every rollout), ./approve.ts,
 * ./tokens.ts, ./segments.ts. The steps they share are in ./rollout-writes.ts.
 */
import type { AuditEntry } from "../../contracts/audit";
import { paramIssues, type FieldIssue } from "../../contracts/field-issues";
import { RolloutId, type ConfigSnapshot, type GlobalKill, type OverrideSettings, type RolloutConfig, type StoredRollout } from "../../contracts/rollout";
import type { StoredSegment } from "../../contracts/rules";
import { snapshotToken, type StoredToken } from "../../contracts/tokens";
import { approve, type ApproveCommand } from "./approve";
import { auditDiff } from "./audit-summary";
import { killOrResumeAll, revokeOverrides } from "./global-commands";
import { advance, deleteRollout, killOrResume, patchRollout, pauseOrContinue, promote, putRollout } from "./rollout-commands";
import { invalid } from "./rollout-writes";
import { deleteSegment, putSegment, type SegmentCommand } from "./segments";
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

/** Applies one kind of command to plain state: pure, like everything in this folder. */
export type CommandHandler<C extends Command> = (state: ControlState, command: C, ctx: CommandContext) => CommandOutcome;
type Handlers = { [K in Command["type"]]: CommandHandler<Extract<Command, { type: K }>> };

const HANDLERS: Handlers = {
  put: putRollout,
  patch: patchRollout,
  delete: deleteRollout,
  kill: killOrResume,
  resume: killOrResume,
  pause: pauseOrContinue,
  continue: pauseOrContinue,
  promote,
  approve,
  advance,
  "kill-all": killOrResumeAll,
  "resume-all": killOrResumeAll,
  "revoke-overrides": revokeOverrides,
  "token-create": createToken,
  "token-revoke": revokeToken,
  "segment-put": putSegment,
  "segment-delete": deleteSegment,
};

/** Apply one admin command. */
export function applyCommand(state: ControlState, command: Command, ctx: CommandContext): CommandOutcome {
  if ("id" in command) {
    const issues = paramIssues(RolloutId, command.id, "/id");
    if (issues.length) return invalid("the rollout id in the URL is invalid", issues);
  }
  const outcome = (HANDLERS[command.type] as CommandHandler<Command>)(state, command, ctx);
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
