/**
 * The control plane's write policy: each admin command applied to plain state, returning the
 * next state and its audit entry, or a precise error. No `this`, no I/O, no clock (`now` is
 * passed in). The Durable Object only loads state, calls this, and saves the result.
 */
import type { AuditAction, AuditEntry } from "../../contracts/audit";
import { toFieldIssues, type FieldIssue } from "../../contracts/field-issues";
import { KillBodySchema, ResumeBodySchema } from "../../contracts/admin-wire";
import {
  RolloutConfigSchema,
  RolloutId,
  type ConfigSnapshot,
  type GlobalKill,
  type RolloutConfig,
  type StoredRollout,
} from "../../contracts/rollout";

export interface ControlState {
  /** Monotonically increasing; 0 = never configured. */
  version: number;
  globalKill: GlobalKill;
  rollouts: ReadonlyMap<string, StoredRollout>;
}

export const EMPTY_STATE: ControlState = {
  version: 0,
  globalKill: { killed: false, reason: null, at: null, by: null },
  rollouts: new Map(),
};

export type CommandError =
  | { kind: "invalid"; detail: string; issues: FieldIssue[] }
  | { kind: "not-found"; rolloutId: string }
  | { kind: "version-mismatch"; expected: number; current: number }
  | { kind: "conflict"; detail: string }
  /** The command does not apply to the rollout as it is now (no stages, last stage, killed). */
  | { kind: "invalid-state"; detail: string };

export type Command =
  | { type: "put"; id: string; body: unknown; ifMatch?: number }
  | { type: "patch"; id: string; patch: unknown; ifMatch?: number }
  | { type: "delete"; id: string; ifMatch?: number }
  | { type: "kill"; id: string; body: unknown; ifMatch?: number }
  | { type: "resume"; id: string; body: unknown; ifMatch?: number }
  | { type: "kill-all"; body: unknown; ifMatch?: number }
  | { type: "resume-all"; body: unknown; ifMatch?: number }
  | { type: "pause"; id: string; body: unknown; ifMatch?: number }
  | { type: "continue"; id: string; body: unknown; ifMatch?: number }
  | { type: "promote"; id: string; body: unknown; ifMatch?: number }
  /** The stage scheduler moving a rollout on (not an operator command). */
  | { type: "advance"; id: string; percent: number; reason: string };

export interface CommandContext {
  now: Date;
  actor: string;
}

export type CommandOutcome =
  | { ok: true; changed: true; state: ControlState; audit: AuditEntry; rollout: StoredRollout | null }
  | { ok: true; changed: false; state: ControlState; rollout: StoredRollout | null }
  | { ok: false; error: CommandError };

function invalid(detail: string, issues: FieldIssue[]): CommandOutcome {
  return { ok: false, error: { kind: "invalid", detail, issues } };
}

/** RFC 7396 JSON merge patch. Arrays and scalars replace; `null` removes a member. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

/** Rollouts that would route the same (host, prefix) pair as `config`: ambiguous routing is refused. */
export function findOverlap(config: RolloutConfig, others: Iterable<StoredRollout>): string | undefined {
  const keys = (c: RolloutConfig) => {
    const hosts = c.match.hosts.length ? c.match.hosts : ["*"];
    const prefixes = c.match.pathPrefixes.map((p) => (p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p));
    return hosts.flatMap((h) => prefixes.map((p) => `${h} ${p}`));
  };
  const mine = new Set(keys(config));
  for (const other of others) {
    if (other.config.id === config.id) continue;
    const shared = keys(other.config).find((k) => mine.has(k));
    if (shared) {
      const [host, prefix] = shared.split(" ");
      return `rollout "${other.config.id}" already matches host ${host === "*" ? "(any)" : host} and path prefix ${prefix}`;
    }
  }
  return undefined;
}

function checkVersion(current: number, ifMatch: number | undefined): CommandOutcome | undefined {
  if (ifMatch !== undefined && ifMatch !== current) {
    return { ok: false, error: { kind: "version-mismatch", expected: ifMatch, current } };
  }
  return undefined;
}

function withRollout(state: ControlState, rollout: StoredRollout): ControlState {
  const rollouts = new Map(state.rollouts);
  rollouts.set(rollout.config.id, rollout);
  return { ...state, version: rollout.version, rollouts };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Validate a full rollout config for `id`, with issues pointing into the request body. */
export function validateConfig(id: string, body: unknown): { ok: true; config: RolloutConfig } | { ok: false; outcome: CommandOutcome } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, outcome: invalid("the body must be a JSON object", [{ pointer: "", message: "expected an object" }]) };
  }
  const withId = { id, ...(body as Record<string, unknown>) };
  const parsed = RolloutConfigSchema.safeParse(withId);
  if (!parsed.success) {
    return { ok: false, outcome: invalid("the rollout config is invalid", toFieldIssues(parsed.error)) };
  }
  if (parsed.data.id !== id) {
    return { ok: false, outcome: invalid("the body's id differs from the URL's", [{ pointer: "/id", message: `must be "${id}" (the id in the URL), got "${parsed.data.id}"` }]) };
  }
  return { ok: true, config: parsed.data };
}

function storeConfig(
  state: ControlState,
  config: RolloutConfig,
  previous: StoredRollout | undefined,
  ctx: CommandContext,
  action: AuditAction,
  ifMatch: number | undefined,
  reason: string | null = null,
): CommandOutcome {
  const stale = checkVersion(previous?.version ?? 0, ifMatch);
  if (stale) return stale;
  const overlap = findOverlap(config, state.rollouts.values());
  if (overlap) return { ok: false, error: { kind: "conflict", detail: overlap } };
  if (previous && sameJson(previous.config, config)) return { ok: true, changed: false, state, rollout: previous };
  const version = state.version + 1;
  const killReason = config.killed ? (previous?.config.killed ? previous.killReason : reason) : null;
  const at = ctx.now.toISOString();
  // A stage's hold counts from the last percentage change; resuming after a kill restarts it.
  const restartHold = !previous || previous.config.percent !== config.percent || (previous.config.killed && !config.killed);
  const rollout: StoredRollout = {
    config,
    version,
    updatedAt: at,
    updatedBy: ctx.actor,
    killReason,
    percentSince: restartHold ? at : (previous?.percentSince ?? at),
    paused: config.stages ? (previous?.paused ?? false) : false,
    pauseReason: config.stages ? (previous?.pauseReason ?? null) : null,
  };
  return stored(state, rollout, action, previous?.config ?? null, config, reason);
}

/** A change to what the control plane tracks about a rollout (not its config), audited. */
function replaceMeta(
  state: ControlState,
  previous: StoredRollout,
  meta: Partial<Pick<StoredRollout, "paused" | "pauseReason">>,
  ctx: CommandContext,
  action: AuditAction,
  reason: string | null,
): CommandOutcome {
  const version = state.version + 1;
  const rollout: StoredRollout = { ...previous, ...meta, version, updatedAt: ctx.now.toISOString(), updatedBy: ctx.actor };
  return stored(state, rollout, action, { paused: previous.paused ?? false }, { paused: rollout.paused ?? false }, reason);
}

/** The outcome of storing `rollout` (already carrying the new version, time and actor), audited. */
function stored(state: ControlState, rollout: StoredRollout, action: AuditAction, before: unknown, after: unknown, reason: string | null): CommandOutcome {
  return {
    ok: true,
    changed: true,
    state: withRollout(state, rollout),
    rollout,
    audit: { at: rollout.updatedAt, actor: rollout.updatedBy, action, rolloutId: rollout.config.id, version: rollout.version, before, after, reason },
  };
}

/** Apply one admin command. */
export function applyCommand(state: ControlState, command: Command, ctx: CommandContext): CommandOutcome {
  if ("id" in command) {
    const id = RolloutId.safeParse(command.id);
    if (!id.success) return invalid("the rollout id in the URL is invalid", toFieldIssues(id.error, "/id").map((i) => ({ ...i, pointer: "/id" })));
  }
  switch (command.type) {
    case "put": {
      const previous = state.rollouts.get(command.id);
      const valid = validateConfig(command.id, command.body);
      if (!valid.ok) return valid.outcome;
      return storeConfig(state, valid.config, previous, ctx, previous ? "replace" : "create", command.ifMatch);
    }
    case "patch": {
      const previous = state.rollouts.get(command.id);
      if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
      const patch = command.patch;
      if (patch === null || typeof patch !== "object" || Array.isArray(patch)) {
        return invalid("a PATCH body must be a JSON object (a JSON merge patch)", [{ pointer: "", message: "expected an object" }]);
      }
      if ("id" in patch && (patch as { id: unknown }).id !== command.id) {
        return invalid("a rollout's id cannot be changed", [{ pointer: "/id", message: "cannot be changed; create a new rollout instead" }]);
      }
      const valid = validateConfig(command.id, mergePatch(previous.config, patch));
      if (!valid.ok) return valid.outcome;
      return storeConfig(state, valid.config, previous, ctx, "patch", command.ifMatch);
    }
    case "delete": {
      const previous = state.rollouts.get(command.id);
      if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
      const stale = checkVersion(previous.version, command.ifMatch);
      if (stale) return stale;
      const rollouts = new Map(state.rollouts);
      rollouts.delete(command.id);
      const version = state.version + 1;
      return {
        ok: true,
        changed: true,
        state: { ...state, version, rollouts },
        rollout: null,
        audit: { at: ctx.now.toISOString(), actor: ctx.actor, action: "delete", rolloutId: command.id, version, before: previous.config, after: null, reason: null },
      };
    }
    case "kill":
    case "resume": {
      const previous = state.rollouts.get(command.id);
      if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
      const body = (command.type === "kill" ? KillBodySchema : ResumeBodySchema).safeParse(command.body ?? {});
      if (!body.success) return invalid(`the ${command.type} body is invalid`, toFieldIssues(body.error));
      const killed = command.type === "kill";
      const reason = body.data.reason || null;
      if (previous.config.killed === killed) {
        const stale = checkVersion(previous.version, command.ifMatch);
        return stale ?? { ok: true, changed: false, state, rollout: previous };
      }
      return storeConfig(state, { ...previous.config, killed }, previous, ctx, command.type, command.ifMatch, reason);
    }
    case "pause":
    case "continue": {
      const previous = state.rollouts.get(command.id);
      if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
      const body = ResumeBodySchema.safeParse(command.body ?? {});
      if (!body.success) return invalid(`the ${command.type} body is invalid`, toFieldIssues(body.error));
      if (!previous.config.stages) return { ok: false, error: { kind: "invalid-state", detail: `rollout "${command.id}" has no stages: there is nothing to ${command.type}` } };
      const stale = checkVersion(previous.version, command.ifMatch);
      if (stale) return stale;
      const paused = command.type === "pause";
      if ((previous.paused ?? false) === paused) return { ok: true, changed: false, state, rollout: previous };
      const reason = body.data.reason || null;
      return replaceMeta(state, previous, { paused, pauseReason: paused ? reason : null }, ctx, command.type, reason);
    }
    case "promote":
    case "advance": {
      const previous = state.rollouts.get(command.id);
      if (!previous) return { ok: false, error: { kind: "not-found", rolloutId: command.id } };
      const stages = previous.config.stages;
      if (!stages) return { ok: false, error: { kind: "invalid-state", detail: `rollout "${command.id}" has no stages to promote through; set its percent instead` } };
      if (previous.config.killed || state.globalKill.killed) return { ok: false, error: { kind: "invalid-state", detail: `rollout "${command.id}" is killed: resume it before promoting` } };
      let percent: number;
      let reason: string | null;
      if (command.type === "promote") {
        const body = ResumeBodySchema.safeParse(command.body ?? {});
        if (!body.success) return invalid("the promote body is invalid", toFieldIssues(body.error));
        const stale = checkVersion(previous.version, command.ifMatch);
        if (stale) return stale;
        const next = stages.find((s) => s.percent > previous.config.percent);
        if (!next) return { ok: false, error: { kind: "invalid-state", detail: `rollout "${command.id}" is at its last stage (${previous.config.percent}%)` } };
        percent = next.percent;
        reason = body.data.reason || "promoted by an operator";
      } else {
        percent = command.percent;
        reason = command.reason;
      }
      return storeConfig(state, { ...previous.config, percent }, previous, ctx, command.type, undefined, reason);
    }
    case "kill-all":
    case "resume-all": {
      const body = (command.type === "kill-all" ? KillBodySchema : ResumeBodySchema).safeParse(command.body ?? {});
      if (!body.success) return invalid(`the ${command.type === "kill-all" ? "kill" : "resume"} body is invalid`, toFieldIssues(body.error));
      const stale = checkVersion(state.version, command.ifMatch);
      if (stale) return stale;
      const killed = command.type === "kill-all";
      if (state.globalKill.killed === killed) return { ok: true, changed: false, state, rollout: null };
      const reason = body.data.reason || null;
      const version = state.version + 1;
      const at = ctx.now.toISOString();
      const globalKill: GlobalKill = killed ? { killed, reason, at, by: ctx.actor } : { killed, reason: null, at: null, by: null };
      return {
        ok: true,
        changed: true,
        state: { ...state, version, globalKill },
        rollout: null,
        audit: { at, actor: ctx.actor, action: command.type, rolloutId: null, version, before: state.globalKill, after: globalKill, reason },
      };
    }
  }
}

/** The seed rollout created on first start from the worker's vars. */
export function seedState(state: ControlState, config: RolloutConfig, now: Date): { state: ControlState; audit: AuditEntry } {
  const version = state.version + 1;
  const rollout: StoredRollout = { config, version, updatedAt: now.toISOString(), updatedBy: "seed", killReason: null, percentSince: now.toISOString(), paused: false, pauseReason: null };
  return {
    state: withRollout(state, rollout),
    audit: { at: rollout.updatedAt, actor: "seed", action: "seed", rolloutId: config.id, version, before: null, after: config, reason: "first start: seeded from LEGACY_ORIGIN, NEW_ORIGIN and INITIAL_PERCENT" },
  };
}

/** What isolates cache. */
export function toSnapshot(state: ControlState): ConfigSnapshot {
  return { version: state.version, globalKill: state.globalKill, rollouts: [...state.rollouts.values()] };
}
