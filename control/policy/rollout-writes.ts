/**
 * The building blocks every rollout write shares: look the rollout up with If-Match, validate a
 * config, store it (overlaps refused, no-op writes not versioned), audit it with a bounded diff.
 * Pure: state and `now` in, outcome out.
 */
import type { AuditAction } from "../../contracts/audit";
import type { FieldIssue } from "../../contracts/field-issues";
import { toFieldIssues } from "../../contracts/field-issues";
import { normalizePrefix } from "../../contracts/paths";
import { RolloutConfigSchema, type RolloutConfig, type StoredRollout } from "../../contracts/rollout";
import type * as z from "../../contracts/zod";
import { auditDiff } from "./audit-summary";
import type { CommandContext, CommandOutcome, ControlState } from "./commands";

export function invalid(detail: string, issues: FieldIssue[]): CommandOutcome {
  return { ok: false, error: { kind: "invalid", detail, issues } };
}

export const notFound = (rolloutId: string): CommandOutcome => ({ ok: false, error: { kind: "not-found", rolloutId } });
export const invalidState = (detail: string): CommandOutcome => ({ ok: false, error: { kind: "invalid-state", detail } });

/** A 412 when `ifMatch` names another version than `current`. */
export function checkVersion(current: number, ifMatch: number | undefined): CommandOutcome | undefined {
  if (ifMatch !== undefined && ifMatch !== current) return { ok: false, error: { kind: "version-mismatch", expected: ifMatch, current } };
  return undefined;
}

/** The rollout a command names, if it exists and the command's If-Match holds; else the error. */
export function existing(state: ControlState, id: string, ifMatch: number | undefined): { ok: true; rollout: StoredRollout } | { ok: false; outcome: CommandOutcome } {
  const rollout = state.rollouts.get(id);
  if (!rollout) return { ok: false, outcome: notFound(id) };
  const stale = checkVersion(rollout.version, ifMatch);
  if (stale) return { ok: false, outcome: stale };
  return { ok: true, rollout };
}

/** A command body checked against `schema` (an absent body is `{}`), or a 422 outcome. */
export function parseBody<S extends z.ZodMiniType>(schema: S, body: unknown, what: string): { ok: true; data: z.infer<S> } | { ok: false; outcome: CommandOutcome } {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return { ok: true, data: parsed.data as z.infer<S> };
  return { ok: false, outcome: invalid(`the ${what} body is invalid`, toFieldIssues(parsed.error)) };
}

/** RFC 7396 JSON merge patch. Arrays and scalars replace; `null` removes a member. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
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
    return hosts.flatMap((h) => c.match.pathPrefixes.map((p) => `${h} ${normalizePrefix(p)}`));
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

/** Validate a full rollout config for `id`, with issues pointing into the request body. */
export function validateConfig(id: string, body: unknown): { ok: true; config: RolloutConfig } | { ok: false; outcome: CommandOutcome } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, outcome: invalid("the body must be a JSON object", [{ pointer: "", message: "expected an object" }]) };
  }
  const parsed = RolloutConfigSchema.safeParse({ id, ...(body as Record<string, unknown>) });
  if (!parsed.success) return { ok: false, outcome: invalid("the rollout config is invalid", toFieldIssues(parsed.error)) };
  if (parsed.data.id !== id) {
    return { ok: false, outcome: invalid("the body's id differs from the URL's", [{ pointer: "/id", message: `must be "${id}" (the id in the URL), got "${parsed.data.id}"` }]) };
  }
  return { ok: true, config: parsed.data };
}

function withRollout(state: ControlState, rollout: StoredRollout): ControlState {
  const rollouts = new Map(state.rollouts);
  rollouts.set(rollout.config.id, rollout);
  return { ...state, version: rollout.version, rollouts };
}

/**
 * Stores `config` as the rollout's new config (`previous` undefined: a create), audited as
 * `action`. Refuses an overlap with another rollout; a config equal to the current one changes
 * nothing and keeps the version.
 */
export function storeConfig(
  state: ControlState,
  config: RolloutConfig,
  previous: StoredRollout | undefined,
  ctx: CommandContext,
  action: AuditAction,
  reason: string | null = null,
  notices: string[] = [],
): CommandOutcome {
  const overlap = findOverlap(config, state.rollouts.values());
  if (overlap) return { ok: false, error: { kind: "conflict", detail: overlap } };
  if (previous && JSON.stringify(previous.config) === JSON.stringify(config)) return { ok: true, changed: false, state, rollout: previous, notices };
  const version = state.version + 1;
  const at = ctx.now.toISOString();
  // A stage's hold counts from the last percentage change; resuming after a kill restarts it. The
  // guard judges only traffic since then (or since a later `continue`).
  const restart = !previous || previous.config.percent !== config.percent || (previous.config.killed && !config.killed);
  const rollout: StoredRollout = {
    ...previous,
    config,
    version,
    updatedAt: at,
    updatedBy: ctx.actor,
    killReason: config.killed ? (previous?.config.killed ? previous.killReason : reason) : null,
    percentSince: restart ? at : (previous?.percentSince ?? at),
    guardSince: restart ? at : (previous?.guardSince ?? previous?.percentSince ?? at),
    paused: config.stages ? (previous?.paused ?? false) : false,
    pauseReason: config.stages ? (previous?.pauseReason ?? null) : null,
    // An approval is for the next stage from this percentage: any change of percentage ends it.
    approval: previous && previous.config.percent === config.percent ? (previous.approval ?? null) : null,
  };
  return stored(state, rollout, action, previous?.config ?? null, config, reason, notices);
}

/** A change to what the control plane tracks about a rollout (not its config), audited. */
export function replaceMeta(
  state: ControlState,
  previous: StoredRollout,
  meta: Partial<Omit<StoredRollout, "config" | "version">>,
  ctx: CommandContext,
  action: AuditAction,
  reason: string | null,
): CommandOutcome {
  const version = state.version + 1;
  const rollout: StoredRollout = { ...previous, ...meta, version, updatedAt: ctx.now.toISOString(), updatedBy: ctx.actor };
  const keys = Object.keys(meta) as Array<keyof StoredRollout>;
  const pick = (r: StoredRollout) => Object.fromEntries(keys.map((k) => [k, r[k] ?? null]));
  return stored(state, rollout, action, pick(previous), pick(rollout), reason);
}

/** The outcome of storing `rollout` (already carrying the new version, time and actor), audited. */
function stored(state: ControlState, rollout: StoredRollout, action: AuditAction, before: unknown, after: unknown, reason: string | null, notices: string[] = []): CommandOutcome {
  const diff = auditDiff(before, after);
  return {
    ok: true,
    changed: true,
    state: withRollout(state, rollout),
    rollout,
    notices,
    audit: { at: rollout.updatedAt, actor: rollout.updatedBy, action, rolloutId: rollout.config.id, version: rollout.version, before: diff.before, after: diff.after, reason },
  };
}
