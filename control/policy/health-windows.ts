/**
 * The control plane's rolling health windows: per rollout, fixed 10 s slots of merged isolate
 * flushes, kept for an hour, and the summaries guards and operators read. Pure (`now` passed in).
 */
import type { HealthPoint } from "../../contracts/admin-wire";
import {
  combineVariantStats,
  emptyVariantStats,
  mergeVariantStats,
  type HealthFlush,
  type HealthSummary,
  type RolloutStats,
  type VariantStats,
  type VariantSummary,
} from "../../contracts/health";
import { quantile, revive } from "../../contracts/histogram";
import { estimate, reviveSketch } from "../../contracts/sketch";

/** Width of one slot of the Durable Object's rolling window. */
export const SLOT_MS = 10_000;
/** How much history the Durable Object keeps per rollout. */
export const RETENTION_MS = 60 * 60 * 1000;

/** One slot of the rolling window: the stats of the requests flushed during [start, start + SLOT_MS). */
export interface Slot {
  start: number;
  stats: RolloutStats;
}

/** The Durable Object's windows: per rollout, slots in ascending start order. */
export type HealthWindows = Record<string, Slot[]>;

export function slotStart(now: number): number {
  return Math.floor(now / SLOT_MS) * SLOT_MS;
}

/**
 * Adds a flush to the windows (attributed to the slot of `now`, when it arrived) and drops slots
 * older than the retention. Returns the new windows and the slots it touched (to persist).
 */
export function addFlush(windows: HealthWindows, flush: HealthFlush, now: number): { windows: HealthWindows; touched: Array<{ rolloutId: string; slot: Slot }> } {
  const start = slotStart(now);
  const next: HealthWindows = { ...windows };
  const touched: Array<{ rolloutId: string; slot: Slot }> = [];
  for (const [rolloutId, stats] of Object.entries(flush.rollouts)) {
    const slots = (next[rolloutId] ?? []).filter((s) => s.start > now - RETENTION_MS);
    const last = slots.at(-1);
    let slot: Slot;
    if (last && last.start === start) {
      slot = { start, stats: { legacy: mergeVariantStats(last.stats.legacy, stats.legacy), new: mergeVariantStats(last.stats.new, stats.new) } };
      slots[slots.length - 1] = slot;
    } else {
      slot = { start, stats: { legacy: mergeVariantStats(emptyVariantStats(), stats.legacy), new: mergeVariantStats(emptyVariantStats(), stats.new) } };
      slots.push(slot);
    }
    next[rolloutId] = slots;
    touched.push({ rolloutId, slot });
  }
  return { windows: next, touched };
}

/** Drops slots past the retention (and rollouts left with none). */
export function prune(windows: HealthWindows, now: number): HealthWindows {
  const next: HealthWindows = {};
  for (const [id, slots] of Object.entries(windows)) {
    const kept = slots.filter((s) => s.start > now - RETENTION_MS);
    if (kept.length) next[id] = kept;
  }
  return next;
}

/** A distinct count for people: the sketch's estimate, rounded. */
const distinct = (sketch: unknown): number => Math.round(estimate(reviveSketch(sketch)));

function summarizeVariant(v: VariantStats): VariantSummary {
  const h = revive(v.latency);
  return {
    requests: v.requests,
    errors: v.errors,
    clientErrors: v.clientErrors,
    errorRate: v.requests ? v.errors / v.requests : null,
    p50: quantile(h, 0.5),
    p95: quantile(h, 0.95),
    p99: quantile(h, 0.99),
    users: distinct(v.users),
    errorUsers: distinct(v.errorUsers),
    errorIps: distinct(v.errorIps),
  };
}

/**
 * The start of the first slot a window of `windowSeconds` (rounded up to whole slots, the current
 * one included) covers at `now`; with `since`, no earlier than the first slot that starts at or
 * after it.
 */
export function windowFrom(windowSeconds: number, now: number, since?: number): number {
  const slotsCovered = Math.max(1, Math.ceil((windowSeconds * 1000) / SLOT_MS));
  const from = slotStart(now) - (slotsCovered - 1) * SLOT_MS;
  return since === undefined ? from : Math.max(from, Math.ceil(since / SLOT_MS) * SLOT_MS);
}

/**
 * Both variants of a rollout over the last `windowSeconds` (rounded up to whole slots). With
 * `since` (ms), only slots that start at or after it count: a slot that began earlier may hold
 * traffic from before it (from before a resume, say), so it is left out whole, which ignores up to
 * one slot (10 s) of traffic after `since`. `windowSeconds` in the result is what was covered.
 */
export function summarize(windows: HealthWindows, rolloutId: string, windowSeconds: number, now: number, since?: number): HealthSummary {
  const from = windowFrom(windowSeconds, now, since);
  const slots = (windows[rolloutId] ?? []).filter((slot) => slot.start >= from && slot.start <= now);
  return {
    windowSeconds: Math.max(0, slotStart(now) + SLOT_MS - from) / 1000,
    legacy: summarizeVariant(combineVariantStats(slots.map((s) => s.stats.legacy))),
    new: summarizeVariant(combineVariantStats(slots.map((s) => s.stats.new))),
  };
}

/** Per-slot points for a chart: the last `count` slots, empty ones included. */
export function series(windows: HealthWindows, rolloutId: string, count: number, now: number): HealthPoint[] {
  const bySlot = new Map((windows[rolloutId] ?? []).map((s) => [s.start, s]));
  const out = [];
  for (let i = count - 1; i >= 0; i--) {
    const start = slotStart(now) - i * SLOT_MS;
    const slot = bySlot.get(start);
    out.push({
      at: new Date(start).toISOString(),
      legacy: summarizeVariant(slot?.stats.legacy ?? emptyVariantStats()),
      new: summarizeVariant(slot?.stats.new ?? emptyVariantStats()),
    });
  }
  return out;
}
