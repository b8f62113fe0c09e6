/**
 * The Durable Object's SQLite schema and its migrations. Stored state outlives code: a deployed
 * object already holds tables and rows written by older versions, so every change to what is
 * stored is a numbered migration here (run once, in order, in a transaction, recorded in
 * `meta.schemaVersion`), and readers of a JSON column accept the shapes older code wrote. STORAGE.md
 * lists every table and every migration.
 */

/** One step of the schema: SQL run once, in order. */
interface Migration {
  version: number;
  why: string;
  up: string[];
}

/**
 * Every migration, oldest first. Version 1 is the schema the first release created with
 * `CREATE TABLE IF NOT EXISTS` (so an object from that release, which has no `schemaVersion`, is
 * at version 1 once its tables exist).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    why: "first release: config, audit log, health slots",
    up: [
      `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS rollouts (id TEXT PRIMARY KEY, record TEXT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, rollout_id TEXT, version INTEGER NOT NULL, before TEXT, after TEXT, reason TEXT)`,
      `CREATE INDEX IF NOT EXISTS audit_rollout ON audit (rollout_id, seq)`,
      `CREATE TABLE IF NOT EXISTS health_slots (rollout_id TEXT NOT NULL, slot INTEGER NOT NULL, stats TEXT NOT NULL, PRIMARY KEY (rollout_id, slot))`,
    ],
  },
  {
    version: 2,
    why: "named admin tokens: the SHA-256 of each secret, never the secret (control/store/token-store.ts)",
    up: [
      `CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL, hash TEXT NOT NULL,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL, expires_at TEXT)`,
    ],
  },
  {
    version: 3,
    why: "audit entries name the token as actor; what X-Actor claims goes into a note of its own",
    up: [`ALTER TABLE audit ADD COLUMN note TEXT`],
  },
  {
    version: 4,
    why: "notifications: webhook settings, the delivery queue and its history, the alarm's notice marks",
    up: [
      `CREATE TABLE IF NOT EXISTS webhooks (id TEXT PRIMARY KEY, position INTEGER NOT NULL, record TEXT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, status TEXT NOT NULL, record TEXT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS notice_marks (rollout_id TEXT PRIMARY KEY, record TEXT NOT NULL)`,
    ],
  },
  {
    version: 5,
    why: "shadow traffic: comparison counts per rollout and 10 s slot, and each rollout's newest mismatch examples (control/store/shadow-store.ts)",
    up: [
      `CREATE TABLE IF NOT EXISTS shadow_slots (rollout_id TEXT NOT NULL, slot INTEGER NOT NULL, counts TEXT NOT NULL, PRIMARY KEY (rollout_id, slot))`,
      `CREATE TABLE IF NOT EXISTS shadow_examples (rollout_id TEXT PRIMARY KEY, examples TEXT NOT NULL)`,
    ],
  },
  {
    version: 6,
    why: "guards beyond the proxy: external check and probe states, the alarm's reset marks, pushed signal values",
    up: [
      `CREATE TABLE IF NOT EXISTS external_states (rollout_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, record TEXT NOT NULL,
        PRIMARY KEY (rollout_id, kind, name))`,
      `CREATE TABLE IF NOT EXISTS external_marks (rollout_id TEXT PRIMARY KEY, record TEXT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS signal_values (seq INTEGER PRIMARY KEY AUTOINCREMENT, rollout_id TEXT NOT NULL, name TEXT NOT NULL,
        at INTEGER NOT NULL, value TEXT NOT NULL, note TEXT, pushed_by TEXT)`,
      `CREATE INDEX IF NOT EXISTS signal_values_name ON signal_values (rollout_id, name, at)`,
    ],
  },
  {
    version: 7,
    why: "segments: named sets of conditions that targeting rules use (control/store/segment-store.ts)",
    up: [`CREATE TABLE IF NOT EXISTS segments (name TEXT PRIMARY KEY, record TEXT NOT NULL)`],
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Brings the object's tables up to SCHEMA_VERSION; returns the versions it applied. */
export function migrate(storage: DurableObjectStorage): number[] {
  const sql = storage.sql;
  sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  const row = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'schemaVersion'`).toArray()[0];
  const current = row ? Number(row.value) : 0;
  if (current > SCHEMA_VERSION)
    throw new Error(`stored schema version ${current} is newer than this code's ${SCHEMA_VERSION}: deploy the newer code (or roll the Durable Object forward)`);
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    storage.transactionSync(() => {
      for (const statement of migration.up) sql.exec(statement);
      sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schemaVersion', ?)`, String(migration.version));
    });
    applied.push(migration.version);
  }
  return applied;
}
