/**
 * The control plane's shadow results: per rollout, fixed 10 s slots of merged comparison counts
 * (per matched path prefix) kept for an hour like health, and the newest mismatch examples
 * (at most MAX_SHADOW_EXAMPLES per rollout, whatever the traffic). Pure (`now` passed in); the
 * Durable Object persists what `addShadowFlush` touched (control/store/shadow-store.ts).
 */
import {
  mergeShadowFlush,
  shadowTotals,
  shadowView,
  type RolloutShadowStats,
  type ShadowCounts,
  type ShadowExample,
  type ShadowFlush,
  type ShadowTotals,
  type ShadowView,
} from "../../contracts/shadow-stats";
import { RETENTION_MS, SLOT_MS, slotStart, windowFrom } from "./health-windows";

/** The counts flushed during [start, start + SLOT_MS), per matched path prefix. */
export interface ShadowSlot {
  start: number;
  prefixes: Record<string, ShadowCounts>;
}

/** One rollout's slots (ascending start) and its newest examples (newest first). */
export interface RolloutShadowWindow {
  slots: ShadowSlot[];
  examples: ShadowExample[];
}

/** Per rollout id. */
export type ShadowWindows = Record<string, RolloutShadowWindow>;

/** What one flush changed for one rollout, to persist. */
export interface ShadowTouched {
  rolloutId: string;
  slot: ShadowSlot;
  /** The rollout's examples after the flush, when the flush brought any. */
  examples: ShadowExample[] | undefined;
}

/** Both as one rollout's stats (counts add, the newest examples kept): see mergeShadowFlush. */
function mergeRollout(a: RolloutShadowStats, b: RolloutShadowStats): RolloutShadowStats {
  return mergeShadowFlush({ rollouts: { r: a } }, { rollouts: { r: b } }).rollouts.r ?? { prefixes: {}, examples: [] };
}

const recent = (examples: readonly ShadowExample[], now: number) => examples.filter((e) => Date.parse(e.at) > now - RETENTION_MS);

/**
 * Adds a flush (attributed to the slot of `now`, when it arrived), dropping slots and examples
 * past the retention of the rollouts it touches. Returns the new windows and what to persist.
 */
export function addShadowFlush(windows: ShadowWindows, flush: ShadowFlush, now: number): { windows: ShadowWindows; touched: ShadowTouched[] } {
  const start = slotStart(now);
  const next: ShadowWindows = { ...windows };
  const touched: ShadowTouched[] = [];
  for (const [rolloutId, stats] of Object.entries(flush.rollouts)) {
    const known = Object.hasOwn(next, rolloutId) ? next[rolloutId]! : { slots: [], examples: [] };
    const slots = known.slots.filter((s) => s.start > now - RETENTION_MS);
    const last = slots.at(-1);
    const base = last?.start === start ? last.prefixes : {};
    const slot: ShadowSlot = { start, prefixes: mergeRollout({ prefixes: base, examples: [] }, { prefixes: stats.prefixes, examples: [] }).prefixes };
    if (last?.start === start) slots[slots.length - 1] = slot;
    else slots.push(slot);
    const examples = stats.examples.length
      ? recent(mergeRollout({ prefixes: {}, examples: known.examples }, { prefixes: {}, examples: stats.examples }).examples, now)
      : known.examples;
    next[rolloutId] = { slots, examples };
    touched.push({ rolloutId, slot, examples: stats.examples.length ? examples : undefined });
  }
  return { windows: next, touched };
}

/** Drops slots and examples past the retention, and rollouts left with neither. */
export function pruneShadow(windows: ShadowWindows, now: number): ShadowWindows {
  const next: ShadowWindows = {};
  for (const [id, w] of Object.entries(windows)) {
    const slots = w.slots.filter((s) => s.start > now - RETENTION_MS);
    const examples = recent(w.examples, now);
    if (slots.length || examples.length) next[id] = { slots, examples };
  }
  return next;
}

/** The windows without `rolloutId` (a deleted rollout's results go with it). */
export function forgetShadow(windows: ShadowWindows, rolloutId: string): ShadowWindows {
  const { [rolloutId]: _gone, ...rest } = windows;
  return rest;
}

/**
 * One rollout's results over the last `windowSeconds` (whole slots, as health windows count
 * them), only from `since` on when given: counts of the slots in the window, and the examples
 * whose time lies in it.
 */
export function shadowStatsOver(windows: ShadowWindows, rolloutId: string, windowSeconds: number, now: number, since?: number): RolloutShadowStats {
  const from = windowFrom(windowSeconds, now, since);
  const w = Object.hasOwn(windows, rolloutId) ? windows[rolloutId]! : { slots: [], examples: [] };
  let stats: RolloutShadowStats = { prefixes: {}, examples: w.examples.filter((e) => Date.parse(e.at) >= from) };
  for (const slot of w.slots) if (slot.start >= from && slot.start <= now) stats = mergeRollout(stats, { prefixes: slot.prefixes, examples: [] });
  return stats;
}

/** The totals guards and stages judge: every prefix of the window together. */
export function shadowTotalsOver(windows: ShadowWindows, rolloutId: string, windowSeconds: number, now: number, since?: number): ShadowTotals {
  return shadowTotals(shadowStatsOver(windows, rolloutId, windowSeconds, now, since));
}

/** The API view over a window: per prefix with its mismatch rate, the totals, the newest examples. */
export function shadowReportOver(windows: ShadowWindows, rolloutId: string, windowSeconds: number, now: number): ShadowView & { windowSeconds: number; totals: ShadowTotals } {
  const stats = shadowStatsOver(windows, rolloutId, windowSeconds, now);
  const covered = (slotStart(now) + SLOT_MS - windowFrom(windowSeconds, now)) / 1000;
  return { windowSeconds: covered, totals: shadowTotals(stats), ...shadowView(stats) };
}
