/**
 * The notification tables (migration 2): `webhooks` (the settings, secrets included: only the
 * Durable Object reads them), `deliveries` (the queue and the recent history, one JSON record per
 * delivery) and `notice_marks` (what the alarm already announced, per rollout). See STORAGE.md.
 */
import type { AuditEntry } from "../../contracts/audit";
import type { Notifications, Webhook } from "../../contracts/notifications";
import type { NoticeMarks } from "../policy/notify-events";
import type { Delivery } from "../policy/notifications";
import { insertAudit } from "./config-store";

export function loadWebhooks(sql: SqlStorage): Notifications {
  const rows = sql.exec<{ record: string }>(`SELECT record FROM webhooks ORDER BY position`).toArray();
  return { webhooks: rows.map((r) => JSON.parse(r.record) as Webhook) };
}

/** Replaces the settings and files their audit entry, in one transaction. */
export function saveWebhooks(storage: DurableObjectStorage, settings: Notifications, audit: AuditEntry): void {
  const sql = storage.sql;
  storage.transactionSync(() => {
    sql.exec(`DELETE FROM webhooks`);
    settings.webhooks.forEach((hook, position) => {
      sql.exec(`INSERT INTO webhooks (id, position, record) VALUES (?, ?, ?)`, hook.id, position, JSON.stringify(hook));
    });
    insertAudit(sql, audit);
  });
}

/** Every stored delivery, oldest first. */
export function loadDeliveries(sql: SqlStorage): Delivery[] {
  return sql
    .exec<{ record: string }>(`SELECT record FROM deliveries ORDER BY created_at, id`)
    .toArray()
    .map((r) => JSON.parse(r.record) as Delivery);
}

/** Writes the deliveries that changed and removes the ones trimmed from the history. */
export function saveDeliveries(sql: SqlStorage, changed: readonly Delivery[], removed: readonly string[]): void {
  for (const d of changed) {
    sql.exec(`INSERT OR REPLACE INTO deliveries (id, created_at, status, record) VALUES (?, ?, ?, ?)`, d.id, d.createdAt, d.status, JSON.stringify(d));
  }
  for (const id of removed) sql.exec(`DELETE FROM deliveries WHERE id = ?`, id);
}

export function loadMarks(sql: SqlStorage): Map<string, NoticeMarks> {
  const rows = sql.exec<{ rollout_id: string; record: string }>(`SELECT rollout_id, record FROM notice_marks`).toArray();
  return new Map(rows.map((r) => [r.rollout_id, JSON.parse(r.record) as NoticeMarks]));
}

export function saveMarks(sql: SqlStorage, rolloutId: string, marks: NoticeMarks): void {
  sql.exec(`INSERT OR REPLACE INTO notice_marks (rollout_id, record) VALUES (?, ?)`, rolloutId, JSON.stringify(marks));
}

export function deleteMarks(sql: SqlStorage, rolloutId: string): void {
  sql.exec(`DELETE FROM notice_marks WHERE rollout_id = ?`, rolloutId);
}
