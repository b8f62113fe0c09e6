/**
 * The Durable Object's notifications, as a thin shell: it keeps the webhook settings, the delivery
 * queue and the alarm's notice marks in memory and in SQLite (./store/notification-store.ts),
 * turns events into signed deliveries, and sends the due ones. Only the alarm sends: a request
 * never waits for a webhook. The rules are pure, in ./policy/notifications.ts and
 * ./policy/notify-events.ts.
 */
import type { DeliveryView } from "../contracts/admin-wire";
import { notificationsView, type Notifications, type NotificationsView, type Webhook } from "../contracts/notifications";
import type { CommandError, ControlState } from "./policy/commands";
import { putNotifications } from "./policy/notification-settings";
import { afterAttempt, capPending, deliveryHeaders, due, nextDueAt, notificationPayload, plan, trimHistory, type Delivery, type NotificationInput } from "./policy/notifications";
import { alarmNotices, type NoticeMarks } from "./policy/notify-events";
import type { Evaluation } from "./policy/schedule";
import { deleteMarks, loadDeliveries, loadMarks, loadWebhooks, saveDeliveries, saveMarks, saveWebhooks } from "./store/notification-store";

/** A receiver gets this long to answer before the attempt counts as failed (and is retried). */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Most deliveries one alarm sends; the rest go at the next alarm, set right away. */
export const MAX_DELIVERIES_PER_ALARM = 20;

type Attempt = { ok: boolean; status?: number; error?: string };

/** What `PUT /notifications` answers: the settings as stored (without secrets), or why not. */
export type NotificationsReply = { ok: true; changed: boolean; settings: NotificationsView } | { ok: false; error: CommandError };

export class Notifier {
  private settings: Notifications;
  private queue: Delivery[];
  private marks: Map<string, NoticeMarks>;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly now: () => number,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
    private readonly newId: () => string = () => crypto.randomUUID(),
  ) {
    this.settings = loadWebhooks(storage.sql);
    this.queue = loadDeliveries(storage.sql);
    this.marks = loadMarks(storage.sql);
  }

  view(): NotificationsView {
    return notificationsView(this.settings);
  }

  /** `PUT /notifications`; the audit entry lands with the settings. */
  put(body: unknown, actor: string, version: number, note?: string): NotificationsReply {
    const outcome = putNotifications(this.settings, body, { now: new Date(this.now()), actor, ...(note ? { note } : {}) }, version);
    if (!outcome.ok) return outcome;
    if (outcome.changed) {
      saveWebhooks(this.storage, outcome.settings, outcome.audit);
      this.settings = outcome.settings;
    }
    return { ok: true, changed: outcome.changed, settings: this.view() };
  }

  /** Queues one delivery per subscribed webhook and event, due now. */
  enqueue(events: readonly NotificationInput[]): void {
    if (!events.length || !this.settings.webhooks.length) return;
    const now = this.now();
    const planned = events.flatMap((e) => plan(this.settings.webhooks, notificationPayload(e), now, this.newId));
    if (!planned.length) return;
    const { queue, dropped } = capPending([...this.queue, ...planned]);
    this.queue = queue;
    saveDeliveries(this.storage.sql, [...planned, ...dropped], []);
  }

  /** A deleted rollout's notice marks go with it. */
  forget(rolloutId: string): void {
    if (this.marks.delete(rolloutId)) deleteMarks(this.storage.sql, rolloutId);
  }

  /** The alarm's own notices for the rollouts it evaluated without acting on them. */
  notice(state: ControlState, evaluations: readonly Evaluation[]): void {
    const now = this.now();
    for (const evaluation of evaluations) {
      const r = state.rollouts.get(evaluation.rolloutId);
      if (!r) continue;
      const before = this.marks.get(evaluation.rolloutId) ?? {};
      const { events, marks } = alarmNotices(r, evaluation, before, now);
      if (JSON.stringify(marks) !== JSON.stringify(before)) {
        this.marks.set(evaluation.rolloutId, marks);
        saveMarks(this.storage.sql, evaluation.rolloutId, marks);
      }
      this.enqueue(events);
    }
  }

  /** When the queue next has something to send; null when nothing is pending. */
  nextDueAt(): number | null {
    return nextDueAt(this.queue);
  }

  /** Sends every due delivery (at most MAX_DELIVERIES_PER_ALARM, in parallel) and records the results. */
  async deliverDue(): Promise<void> {
    const batch = due(this.queue, this.now(), MAX_DELIVERIES_PER_ALARM);
    if (!batch.length) return;
    const results = await Promise.all(batch.map((d) => this.attempt(d)));
    const updated = new Map(results.map((d) => [d.id, d]));
    const queue = this.queue.map((d) => updated.get(d.id) ?? d);
    this.queue = trimHistory(queue);
    const kept = new Set(this.queue.map((d) => d.id));
    saveDeliveries(
      this.storage.sql,
      results.filter((d) => kept.has(d.id)),
      queue.filter((d) => !kept.has(d.id)).map((d) => d.id),
    );
  }

  /** The newest deliveries first. */
  recent(limit: number): DeliveryView[] {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return [...this.queue]
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
      .slice(0, limit)
      .map((d) => {
        const payload = JSON.parse(d.body) as { rollout: string | null; text: string };
        return {
          id: d.id,
          webhookId: d.webhookId,
          url: d.url,
          event: d.event,
          rollout: payload.rollout,
          text: payload.text,
          createdAt: iso(d.createdAt)!,
          attempts: d.attempts,
          status: d.status,
          nextAttemptAt: iso(d.nextAttemptAt),
          lastStatus: d.lastStatus,
          lastError: d.lastError,
          deliveredAt: iso(d.deliveredAt),
        };
      });
  }

  /**
   * One attempt, to the webhook's current URL with its current secret (so fixing a wrong URL also
   * fixes the deliveries waiting for it). A webhook removed since gives its deliveries up.
   */
  private async attempt(d: Delivery): Promise<Delivery> {
    const hook = this.settings.webhooks.find((h) => h.id === d.webhookId);
    if (!hook) return { ...d, status: "failed", nextAttemptAt: null, lastError: `webhook "${d.webhookId}" was removed from the settings` };
    const result = await this.post(hook, d);
    return afterAttempt({ ...d, url: hook.url }, result, this.now());
  }

  private async post(hook: Webhook, d: Delivery): Promise<Attempt> {
    try {
      const headers = await deliveryHeaders({ secret: hook.secret, body: d.body, timestampSeconds: Math.floor(this.now() / 1000), deliveryId: d.id, event: d.event });
      const res = await this.fetcher(hook.url, { method: "POST", headers, body: d.body, redirect: "manual", signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
      await res.body?.cancel();
      return { ok: res.ok, status: res.status };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }
}
