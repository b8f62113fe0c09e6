/** The `health_slots` table: the control plane's rolling health windows, 10 s per row, an hour kept. */
import type { Slot, HealthWindows } from "../policy/health-windows";
import { RETENTION_MS } from "../policy/health-windows";

export function loadWindows(sql: SqlStorage, now: number): HealthWindows {
  const windows: HealthWindows = {};
  for (const row of sql.exec<{ rollout_id: string; slot: number; stats: string }>(
    `SELECT rollout_id, slot, stats FROM health_slots WHERE slot > ? ORDER BY slot`,
    now - RETENTION_MS,
  )) {
    const slots = windows[row.rollout_id] ?? [];
    // Rows written before the distinct-count sketches existed lack `users`, `errorUsers` and
    // `errorIps`: every reader of a slot takes a missing sketch as empty (reviveSketch).
    slots.push({ start: row.slot, stats: JSON.parse(row.stats) as Slot["stats"] });
    windows[row.rollout_id] = slots;
  }
  return windows;
}

export function saveSlots(sql: SqlStorage, touched: ReadonlyArray<{ rolloutId: string; slot: Slot }>): void {
  for (const { rolloutId, slot } of touched) {
    sql.exec(`INSERT OR REPLACE INTO health_slots (rollout_id, slot, stats) VALUES (?, ?, ?)`, rolloutId, slot.start, JSON.stringify(slot.stats));
  }
}

export function dropSlotsBefore(sql: SqlStorage, before: number): void {
  sql.exec(`DELETE FROM health_slots WHERE slot <= ?`, before);
}
