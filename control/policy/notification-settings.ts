/**
 * `PUT /notifications`: the webhook settings replaced as a whole, secrets write-only. Pure: the
 * stored settings and the body in, the next settings and their audit entry (never with a secret)
 * out, or a precise 422.
 */
import type { AuditEntry } from "../../contracts/audit";
import { toFieldIssues, type FieldIssue } from "../../contracts/field-issues";
import { NotificationsPutSchema, notificationsView, type Notifications, type Webhook } from "../../contracts/notifications";
import type { CommandContext, CommandError } from "./commands";

export type SettingsOutcome =
  | { ok: true; changed: false; settings: Notifications }
  | { ok: true; changed: true; settings: Notifications; audit: AuditEntry }
  | { ok: false; error: CommandError };

const invalid = (issues: FieldIssue[]): SettingsOutcome => ({ ok: false, error: { kind: "invalid", detail: "the notification settings are invalid", issues } });

/**
 * Replaces the settings with `body`. A webhook without `secret` keeps the secret stored for its
 * id; a new id without one is refused at its `secret`. `version` is the config version the audit
 * entry is filed under (webhooks are not part of the config: it does not change).
 */
export function putNotifications(current: Notifications, body: unknown, ctx: CommandContext, version: number): SettingsOutcome {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return invalid([{ pointer: "", message: "expected an object" }]);
  const parsed = NotificationsPutSchema.safeParse(body);
  if (!parsed.success) return invalid(toFieldIssues(parsed.error));
  const issues: FieldIssue[] = [];
  const webhooks: Webhook[] = parsed.data.webhooks.map((hook, i) => {
    const secret = hook.secret ?? current.webhooks.find((h) => h.id === hook.id)?.secret;
    if (secret === undefined) {
      issues.push({ pointer: `/webhooks/${i}/secret`, message: `is required: no webhook ${JSON.stringify(hook.id)} is stored yet, so there is no secret to keep` });
    }
    return { id: hook.id, url: hook.url, events: hook.events, secret: secret ?? "" };
  });
  if (issues.length) return invalid(issues);
  const settings: Notifications = { webhooks };
  if (JSON.stringify(settings) === JSON.stringify(current)) return { ok: true, changed: false, settings };
  return {
    ok: true,
    changed: true,
    settings,
    audit: {
      at: ctx.now.toISOString(),
      actor: ctx.actor,
      action: "notifications",
      rolloutId: null,
      version,
      before: notificationsView(current),
      after: { ...notificationsView(settings), ...secretsChanged(current, settings) },
      reason: null,
    },
  };
}

/** Which webhooks got a new secret (the audit log says so without showing either). */
function secretsChanged(before: Notifications, after: Notifications): { secretsChanged?: string[] } {
  const changed = after.webhooks.filter((h) => {
    const old = before.webhooks.find((o) => o.id === h.id);
    return old !== undefined && old.secret !== h.secret;
  });
  return changed.length ? { secretsChanged: changed.map((h) => h.id) } : {};
}
