/** What the first release's Durable Object held, for tests that start from old stored state. */
import { MIGRATIONS } from "../../control/store/schema";

/** Replaces the object's tables with exactly those the first release created (migration 1), empty. */
export function firstReleaseTables(sql: SqlStorage): void {
  const tables = sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
    .toArray()
    .map((r) => r.name);
  for (const name of tables) sql.exec(`DROP TABLE "${name}"`);
  for (const statement of MIGRATIONS[0]!.up) sql.exec(statement);
}
