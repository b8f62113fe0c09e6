/**
 * The `shadow_slots` and `shadow_examples` tables: the control plane's shadow comparison counts,
 * 10 s per row and an hour kept (like `health_slots`), and each rollout's newest mismatch examples
 * in one row (at most MAX_SHADOW_EXAMPLES). See control/policy/shadow-windows.ts and STORAGE.md.
 */
import type { ShadowCounts, ShadowExample } from "../../contracts/shadow-stats";
import { RETENTION_MS } from "../policy/health-windows";
import type { ShadowTouched, ShadowWindows } from "../policy/shadow-windows";

/** Every rollout's slots within the retention, and its examples, as the Durable Object starts. */
export function loadShadow(sql: SqlStorage, now: number): ShadowWindows {
  const windows: ShadowWindows = {};
  const of = (id: string) => {
    if (!Object.hasOwn(windows, id)) windows[id] = { slots: [], examples: [] };
    return windows[id]!;
  };
  for (const row of sql.exec<{ rollout_id: string; slot: number; counts: string }>(
    `SELECT rollout_id, slot, counts FROM shadow_slots WHERE slot > ? ORDER BY slot`,
    now - RETENTION_MS,
  )) {
    of(row.rollout_id).slots.push({ start: row.slot, prefixes: JSON.parse(row.counts) as Record<string, ShadowCounts> });
  }
  for (const row of sql.exec<{ rollout_id: string; examples: string }>(`SELECT rollout_id, examples FROM shadow_examples`)) {
    of(row.rollout_id).examples = JSON.parse(row.examples) as ShadowExample[];
  }
  return windows;
}

/** Writes what a flush touched, and deletes the touched rollouts' slots past the retention. */
export function saveShadow(sql: SqlStorage, touched: readonly ShadowTouched[], now: number): void {
  for (const { rolloutId, slot, examples } of touched) {
    sql.exec(`INSERT OR REPLACE INTO shadow_slots (rollout_id, slot, counts) VALUES (?, ?, ?)`, rolloutId, slot.start, JSON.stringify(slot.prefixes));
    // Kept bounded here, not only by the alarm: the alarm runs only while a rollout has a guard or stages.
    sql.exec(`DELETE FROM shadow_slots WHERE rollout_id = ? AND slot <= ?`, rolloutId, now - RETENTION_MS);
    if (examples) sql.exec(`INSERT OR REPLACE INTO shadow_examples (rollout_id, examples) VALUES (?, ?)`, rolloutId, JSON.stringify(examples));
  }
}

/** Deletes every rollout's slots that start at or before `before`. */
export function dropShadowBefore(sql: SqlStorage, before: number): void {
  sql.exec(`DELETE FROM shadow_slots WHERE slot <= ?`, before);
}

/** Deletes a rollout's shadow results (the rollout was deleted). */
export function deleteShadow(sql: SqlStorage, rolloutId: string): void {
  sql.exec(`DELETE FROM shadow_slots WHERE rollout_id = ?`, rolloutId);
  sql.exec(`DELETE FROM shadow_examples WHERE rollout_id = ?`, rolloutId);
}
