/** What older releases' Durable Objects held, for tests that start from old stored state. */
import { MIGRATIONS } from "../../control/store/schema";

/** When the old records below were written. */
export const OLD_AT = "2026-11-01T10:00:00.000Z";

/** Replaces the object's tables with exactly those the first release created (migration 1), empty. */
export function firstReleaseTables(sql: SqlStorage): void {
  const tables = sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
    .toArray()
    .map((r) => r.name);
  for (const name of tables) sql.exec(`DROP TABLE "${name}"`);
  for (const statement of MIGRATIONS[0]!.up) sql.exec(statement);
}

/**
 * Makes the object hold what one at schema `version` held: the first release's tables, then
 * migrations 2 to `version` as they ran then, all empty but for the `meta` rows given. The first
 * release wrote no `schemaVersion`: a test that starts later passes it.
 *
 * @example stateAtSchema(sql, 4, { schemaVersion: "4", version: "2" });
 */
export function stateAtSchema(sql: SqlStorage, version: number, meta: Record<string, string> = {}): void {
  firstReleaseTables(sql);
  for (const migration of MIGRATIONS.filter((m) => m.version > 1 && m.version <= version)) for (const statement of migration.up) sql.exec(statement);
  for (const [key, value] of Object.entries(meta)) sql.exec(`INSERT INTO meta (key, value) VALUES (?, ?)`, key, value);
}

/**
 * A rollout config as releases before targeting rules stored it, with every field they wrote: 10%
 * of `/old`, sticky on `x-user-id`, hash version 1. `extra` adds the fields a test needs (stages,
 * a guard).
 */
export function oldConfig(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> & { id: string } {
  return {
    id,
    match: { hosts: [], pathPrefixes: ["/old"] },
    origins: { legacy: "https://old.example", new: "https://new.example" },
    percent: 10,
    stickiness: [{ header: "x-user-id" }],
    allowlist: { new: [], legacy: [] },
    killed: false,
    retryOnLegacy: true,
    hashVersion: 1,
    ...extra,
  };
}

/**
 * Stores a rollout record as an older release wrote it: `config` at `version`, written by alice at
 * OLD_AT, not killed; `extra` adds the fields that release had (`percentSince`, `paused`, ...).
 */
export function insertOldRollout(sql: SqlStorage, config: { id: string }, version: number, extra: Record<string, unknown> = {}): void {
  const record = { config, version, updatedAt: OLD_AT, updatedBy: "alice", killReason: null, ...extra };
  sql.exec(`INSERT INTO rollouts (id, record) VALUES (?, ?)`, config.id, JSON.stringify(record));
}

/** The schema version the object records (once it has migrated: the code's SCHEMA_VERSION). */
export function schemaVersionOf(sql: SqlStorage): string | undefined {
  return sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'schemaVersion'`).toArray()[0]?.value;
}
