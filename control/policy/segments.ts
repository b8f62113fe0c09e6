/**
 * Segments: named sets of conditions that targeting rules use (`{ "segment": NAME }`). Written with
 * `segment-put` and `segment-delete`; each bumps the config version, since a segment is part of
 * what isolates route with. A segment a rollout uses cannot be deleted, and a rule cannot name a
 * segment that does not exist, so a stored config never refers to nothing. Pure: state, `now` and
 * the actor in, outcome out.
 */
import type { SegmentList, SegmentView } from "../../contracts/admin-wire";
import type { FieldIssue } from "../../contracts/field-issues";
import { paramIssues, toFieldIssues } from "../../contracts/field-issues";
import type { RolloutConfig } from "../../contracts/rollout";
import { MAX_SEGMENTS, SegmentBodySchema, SegmentName, segmentReferences, type StoredSegment } from "../../contracts/rules";
import { auditDiff } from "./audit-summary";
import type { CommandContext, CommandOutcome, ControlState } from "./commands";
import { checkVersion, invalid, invalidState } from "./rollout-writes";

export type SegmentCommand = { type: "segment-put"; name: string; body: unknown; ifMatch?: number } | { type: "segment-delete"; name: string; ifMatch?: number };

/** A segment without what the control plane tracks about it: what the audit log shows. */
function content(s: StoredSegment): Pick<StoredSegment, "name" | "description" | "when"> {
  return { name: s.name, ...(s.description !== undefined ? { description: s.description } : {}), when: s.when };
}

/** A 422 when the segment name in the URL is not a slug. */
function badName(name: string): CommandOutcome | undefined {
  const issues = paramIssues(SegmentName, name, "/name");
  return issues.length ? invalid("the segment name in the URL is invalid", issues) : undefined;
}

/** The rollouts whose rules name segment `name`, sorted by id. */
export function rolloutsUsing(state: ControlState, name: string): string[] {
  return [...state.rollouts.values()]
    .filter((r) => segmentReferences(r.config.rules).some((ref) => ref.segment === name))
    .map((r) => r.config.id)
    .sort();
}

/** A segment as the admin API shows it: with the rollouts whose rules use it. */
export function segmentView(state: ControlState, segment: StoredSegment): SegmentView {
  return { ...segment, usedBy: rolloutsUsing(state, segment.name) };
}

/** Every segment, by name, with the rollouts that use it, and the config version. */
export function segmentList(state: ControlState): SegmentList {
  const segments = [...state.segments.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  return { version: state.version, segments: segments.map((s) => segmentView(state, s)) };
}

/** Field issues for every rule condition of `config` that names a segment `state` does not hold (pointers into the config). */
export function unknownSegmentIssues(config: RolloutConfig, state: ControlState): FieldIssue[] {
  return segmentReferences(config.rules)
    .filter((ref) => !state.segments.has(ref.segment))
    .map((ref) => ({
      pointer: `/rules/${ref.rule}/when/${ref.condition}/segment`,
      message: `names the segment "${ref.segment}", which does not exist: create it first (PUT /segments/${ref.segment})`,
    }));
}

/** Creates or replaces a segment; a body equal to the stored one changes nothing. */
export function putSegment(state: ControlState, command: Extract<SegmentCommand, { type: "segment-put" }>, ctx: CommandContext): CommandOutcome {
  const bad = badName(command.name);
  if (bad) return bad;
  if (command.body === null || typeof command.body !== "object" || Array.isArray(command.body))
    return invalid("the segment body must be a JSON object", [{ pointer: "", message: "expected an object" }]);
  const parsed = SegmentBodySchema.safeParse(command.body);
  if (!parsed.success) return invalid("the segment is invalid", toFieldIssues(parsed.error));
  const { name, description, when } = parsed.data;
  if (name !== undefined && name !== command.name)
    return invalid("the body's name differs from the URL's", [{ pointer: "/name", message: `must be "${command.name}" (the name in the URL), got "${name}"` }]);
  const previous = state.segments.get(command.name);
  const stale = checkVersion(previous?.version ?? 0, command.ifMatch);
  if (stale) return stale;
  if (!previous && state.segments.size >= MAX_SEGMENTS) return invalidState(`there are ${MAX_SEGMENTS} segments already, the most there may be: delete one first`);
  const next = { name: command.name, ...(description !== undefined ? { description } : {}), when };
  if (previous && JSON.stringify(content(previous)) === JSON.stringify(next)) return { ok: true, changed: false, state, rollout: null, segment: previous };
  const version = state.version + 1;
  const at = ctx.now.toISOString();
  const segment: StoredSegment = { ...next, version, updatedAt: at, updatedBy: ctx.actor };
  // Only what changed, but always the segment's name: the audit row has no column for it.
  const diff = auditDiff(previous ? content(previous) : null, next);
  const named = (side: unknown) => ({ name: segment.name, ...(side as object) });
  return {
    ok: true,
    changed: true,
    state: { ...state, version, segments: new Map(state.segments).set(segment.name, segment) },
    rollout: null,
    segment,
    audit: { at, actor: ctx.actor, action: "segment-put", rolloutId: null, version, before: previous ? named(diff.before) : null, after: named(diff.after), reason: null },
  };
}

/** Deletes a segment no rollout uses (409 naming the rollouts otherwise). */
export function deleteSegment(state: ControlState, command: Extract<SegmentCommand, { type: "segment-delete" }>, ctx: CommandContext): CommandOutcome {
  const bad = badName(command.name);
  if (bad) return bad;
  const previous = state.segments.get(command.name);
  if (!previous) return { ok: false, error: { kind: "segment-not-found", segment: command.name } };
  const stale = checkVersion(previous.version, command.ifMatch);
  if (stale) return stale;
  const users = rolloutsUsing(state, command.name);
  if (users.length) return { ok: false, error: { kind: "segment-in-use", segment: command.name, rollouts: users } };
  const segments = new Map(state.segments);
  segments.delete(command.name);
  const version = state.version + 1;
  const diff = auditDiff(content(previous), null);
  return {
    ok: true,
    changed: true,
    state: { ...state, version, segments },
    rollout: null,
    segment: null,
    audit: { at: ctx.now.toISOString(), actor: ctx.actor, action: "segment-delete", rolloutId: null, version, before: diff.before, after: null, reason: null },
  };
}
