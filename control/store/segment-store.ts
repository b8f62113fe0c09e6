/**
 * The `segments` table (migration 7): one JSON record per segment, written in the same transaction
 * as the rest of a write (./config-store.ts). Reading accepts records without the fields later
 * code may add (they take their defaults in the record's type).
 */
import type { StoredSegment } from "../../contracts/rules";
import { writeChanges } from "./changes";

/** Every stored segment by name. */
export function loadSegments(sql: SqlStorage): Map<string, StoredSegment> {
  const segments = new Map<string, StoredSegment>();
  for (const row of sql.exec<{ name: string; record: string }>(`SELECT name, record FROM segments`)) {
    segments.set(row.name, JSON.parse(row.record) as StoredSegment);
  }
  return segments;
}

/** Writes what changed between `current` and `next`. Call inside a transaction. */
export function saveSegments(sql: SqlStorage, current: ReadonlyMap<string, StoredSegment>, next: ReadonlyMap<string, StoredSegment>): void {
  writeChanges(
    current,
    next,
    (name) => sql.exec(`DELETE FROM segments WHERE name = ?`, name),
    (name, segment) => sql.exec(`INSERT OR REPLACE INTO segments (name, record) VALUES (?, ?)`, name, JSON.stringify(segment)),
  );
}
