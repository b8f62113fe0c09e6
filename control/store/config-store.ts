/**
 * The config tables: `meta` (version, global kill switch, override revocation), `rollouts` (one
 * JSON record per rollout), `tokens` (./token-store.ts), `segments` (./segment-store.ts) and `audit`. A write lands with its audit
 * entry in one transaction.
 * Reading accepts records written by older code (missing fields take their defaults).
 */
import type { AuditEntry, AuditRecord } from "../../contracts/audit";
import type { GlobalKill, OverrideSettings, StoredRollout } from "../../contracts/rollout";
import { EMPTY_STATE, type ControlState } from "../policy/commands";
import { writeChanges } from "./changes";
import { loadSegments, saveSegments } from "./segment-store";
import { loadTokens, saveTokens } from "./token-store";

/** How many audit entries are kept (oldest dropped first). */
export const AUDIT_RETENTION = 10_000;

export interface AuditQuery {
  limit?: number;
  rolloutId?: string;
  /** Only entries with a sequence number below this (for paging). */
  before?: number;
}

type AuditRow = {
  seq: number;
  at: string;
  actor: string;
  action: string;
  rollout_id: string | null;
  version: number;
  before: string | null;
  after: string | null;
  reason: string | null;
  /** Migration 3; null in rows written before it, and when there was nothing to note. */
  note: string | null;
};

function metaJson<T>(meta: Map<string, string>, key: string, fallback: T): T {
  const raw = meta.get(key);
  return raw === undefined ? fallback : ({ ...fallback, ...(JSON.parse(raw) as T) } as T);
}

export function loadControlState(sql: SqlStorage): ControlState {
  const meta = new Map(
    sql
      .exec<{ key: string; value: string }>(`SELECT key, value FROM meta`)
      .toArray()
      .map((r) => [r.key, r.value]),
  );
  const rollouts = new Map<string, StoredRollout>();
  for (const row of sql.exec<{ id: string; record: string }>(`SELECT id, record FROM rollouts`)) {
    rollouts.set(row.id, JSON.parse(row.record) as StoredRollout);
  }
  return {
    version: Number(meta.get("version") ?? 0),
    globalKill: metaJson<GlobalKill>(meta, "globalKill", EMPTY_STATE.globalKill),
    overrides: metaJson<OverrideSettings>(meta, "overrides", EMPTY_STATE.overrides),
    rollouts,
    tokens: loadTokens(sql),
    segments: loadSegments(sql),
  };
}

/** Persists `next` (diffed against `current`) and its audit entry in one transaction. */
export function saveControlState(storage: DurableObjectStorage, current: ControlState, next: ControlState, audit: AuditEntry): void {
  const sql = storage.sql;
  storage.transactionSync(() => {
    writeChanges(
      current.rollouts,
      next.rollouts,
      (id) => sql.exec(`DELETE FROM rollouts WHERE id = ?`, id),
      (id, rollout) => sql.exec(`INSERT OR REPLACE INTO rollouts (id, record) VALUES (?, ?)`, id, JSON.stringify(rollout)),
    );
    sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)`, String(next.version));
    sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('globalKill', ?)`, JSON.stringify(next.globalKill));
    sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('overrides', ?)`, JSON.stringify(next.overrides));
    saveTokens(sql, current.tokens, next.tokens);
    saveSegments(sql, current.segments, next.segments);
    insertAudit(sql, audit);
  });
}

/** Appends an audit entry and drops the oldest beyond AUDIT_RETENTION (call inside the write's transaction). */
export function insertAudit(sql: SqlStorage, audit: AuditEntry): void {
  sql.exec(
    `INSERT INTO audit (at, actor, action, rollout_id, version, before, after, reason, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    audit.at,
    audit.actor,
    audit.action,
    audit.rolloutId,
    audit.version,
    JSON.stringify(audit.before),
    JSON.stringify(audit.after),
    audit.reason,
    audit.note ?? null,
  );
  sql.exec(`DELETE FROM audit WHERE seq <= (SELECT MAX(seq) FROM audit) - ?`, AUDIT_RETENTION);
}

/** Audit entries, newest first. */
export function readAudit(sql: SqlStorage, query: AuditQuery = {}): AuditRecord[] {
  const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
  const before = query.before ?? Number.MAX_SAFE_INTEGER;
  const rows = query.rolloutId
    ? sql.exec<AuditRow>(`SELECT * FROM audit WHERE rollout_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, query.rolloutId, before, limit)
    : sql.exec<AuditRow>(`SELECT * FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?`, before, limit);
  return rows.toArray().map((r) => ({
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action as AuditRecord["action"],
    rolloutId: r.rollout_id,
    version: r.version,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
    reason: r.reason,
    ...(r.note ? { note: r.note } : {}),
  }));
}
