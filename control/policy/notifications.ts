/**
 * Notifications as plain data: the payload a webhook receives, its signed headers, and the
 * delivery queue with its retry schedule. Pure: no I/O, no clock (`now` is passed in), ids come
 * from the caller. The Durable Object stores the queue, sends what is `due`, and records each
 * result with `afterAttempt`.
 */
import type { NotificationEvent, Webhook } from "../../contracts/notifications";

/** First wait after a failed attempt; each further failure doubles it. */
export const FIRST_RETRY_MS = 10_000;
/** Longest wait between two attempts. */
export const MAX_RETRY_INTERVAL_MS = 3_600_000;
/** A delivery not accepted this long after it was created is given up (`failed`). */
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Finished deliveries kept for `GET /notifications/deliveries`. */
export const DEFAULT_HISTORY = 200;
/**
 * Most deliveries waiting at once. A receiver down for a day behind a noisy guard (a warning per
 * 10 s window) would otherwise pile up tens of thousands in Durable Object storage.
 */
export const MAX_PENDING = 1000;
/** Longest error text stored per delivery (the queue lives in Durable Object storage). */
const MAX_ERROR_LENGTH = 300;
/** Longest reason quoted in the one-line chat text. */
const MAX_TEXT_DETAIL = 500;

/** What a webhook receives (JSON). */
export interface NotificationPayload {
  event: NotificationEvent;
  /** The rollout's id; null for the global kill switch (every rollout). */
  rollout: string | null;
  /** ISO-8601. */
  at: string;
  actor: string;
  reason: string | null;
  /** Numbers behind the event, e.g. a guard verdict's summary. */
  summary: string | null;
  /** One line of Slack mrkdwn, ready to post as a message. */
  text: string;
}

export interface NotificationInput {
  event: NotificationEvent;
  rolloutId: string | null;
  at: Date | number;
  actor: string;
  reason?: string | null;
  summary?: string | null;
}

const LOOK: Record<NotificationEvent, [emoji: string, phrase: string]> = {
  kill: ["🛑", "killed"],
  resume: ["✅", "resumed"],
  pause: ["⏸️", "paused"],
  continue: ["▶️", "continued"],
  advance: ["⏩", "advanced"],
  complete: ["🎉", "completed"],
  "approval-needed": ["✋", "is waiting for approval, asked"],
  "guard-breach": ["🚨", "breached its guard, reported"],
  "guard-warning": ["⚠️", "is close to its guard's limits, reported"],
  "guard-inconclusive": ["❔", "has an inconclusive guard verdict, reported"],
};

/** Slack treats `&`, `<` and `>` as markup (`<!channel>` pings everyone): escape them in free text. */
const slackEscape = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

/**
 * The payload for one event.
 *
 * @example notificationPayload({ event: "kill", rolloutId: "checkout-v2", at: 0, actor: "alice", reason: "error spike" }).text
 * // "🛑 *checkout-v2* killed by alice: error spike"
 */
export function notificationPayload(input: NotificationInput): NotificationPayload {
  const [emoji, phrase] = LOOK[input.event];
  const reason = input.reason ?? null;
  const summary = input.summary ?? null;
  const subject = input.rolloutId === null ? "*all rollouts*" : `*${input.rolloutId}*`;
  let detail = oneLine(reason || summary || "");
  if (detail.length > MAX_TEXT_DETAIL) detail = detail.slice(0, MAX_TEXT_DETAIL - 1) + "…";
  const text = `${emoji} ${subject} ${phrase} by ${slackEscape(oneLine(input.actor))}${detail ? `: ${slackEscape(detail)}` : ""}`;
  const at = new Date(input.at).toISOString();
  return { event: input.event, rollout: input.rolloutId, at, actor: input.actor, reason, summary, text };
}

const encoder = new TextEncoder();

/**
 * Headers for one attempt. The signature is `sha256=` + hex HMAC-SHA256 of
 * `timestamp + "." + body`, keyed with the secret's UTF-8 bytes. Compute them at each attempt:
 * the timestamp is the send time, so a receiver can refuse replays (e.g. older than 5 minutes)
 * after checking the signature in constant time; the delivery id stays the same across retries
 * so it can also drop duplicates.
 */
export async function deliveryHeaders(input: {
  secret: string;
  body: string;
  timestampSeconds: number;
  deliveryId: string;
  event: NotificationEvent;
}): Promise<Record<string, string>> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(input.secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${input.timestampSeconds}.${input.body}`));
  const hex = Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
  return {
    "content-type": "application/json",
    "x-edge-router-event": input.event,
    "x-edge-router-delivery": input.deliveryId,
    "x-edge-router-timestamp": String(input.timestampSeconds),
    "x-edge-router-signature": `sha256=${hex}`,
  };
}

/** One payload on its way to one webhook. Times are milliseconds since the epoch. */
export interface Delivery {
  /** Stable across retries (`x-edge-router-delivery`). */
  id: string;
  webhookId: string;
  url: string;
  event: NotificationEvent;
  /** The exact JSON sent on every attempt. The secret is not stored here: look it up by `webhookId`. */
  body: string;
  createdAt: number;
  attempts: number;
  /** When to try next; null once delivered or failed. */
  nextAttemptAt: number | null;
  status: "pending" | "delivered" | "failed";
  /** HTTP status of the last attempt; null if it got no response. */
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

/** One delivery per webhook that subscribes to the payload's event, each due now. */
export function plan(webhooks: readonly Webhook[], payload: NotificationPayload, now: number, newId: () => string): Delivery[] {
  const body = JSON.stringify(payload);
  return webhooks
    .filter((h) => h.events.includes(payload.event))
    .map((h) => ({
      id: newId(),
      webhookId: h.id,
      url: h.url,
      event: payload.event,
      body,
      createdAt: now,
      attempts: 0,
      nextAttemptAt: now,
      status: "pending",
      lastStatus: null,
      lastError: null,
      deliveredAt: null,
    }));
}

/** Pending deliveries whose next attempt is at or before `now`, longest waiting first (at most `limit`). */
export function due(queue: readonly Delivery[], now: number, limit = Infinity): Delivery[] {
  return queue
    .filter((d) => d.status === "pending" && d.nextAttemptAt !== null && d.nextAttemptAt <= now)
    .sort((a, b) => a.nextAttemptAt! - b.nextAttemptAt! || a.createdAt - b.createdAt)
    .slice(0, limit);
}

/** When the queue next has something to send (for the Durable Object's alarm); null if nothing is pending. */
export function nextDueAt(queue: readonly Delivery[]): number | null {
  const times = queue.flatMap((d) => (d.status === "pending" && d.nextAttemptAt !== null ? [d.nextAttemptAt] : []));
  return times.length ? Math.min(...times) : null;
}

/** The wait after the `attempts`-th failed attempt: 10 s, 20 s, 40 s, … capped at 1 h. */
export function retryDelay(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(attempts - 1, 0), MAX_RETRY_INTERVAL_MS);
}

/**
 * The delivery after an attempt. `ok` means the receiver answered 2xx (`Response.ok`): delivered.
 * Anything else is retried, 4xx included: receivers are often briefly misconfigured (a route
 * missing during a deploy, a secret being rotated), and the 24 h limit bounds the cost. Retries
 * follow `retryDelay`; the last one is at exactly `GIVE_UP_AFTER_MS` after creation, and a failure
 * then (or later) marks the delivery `failed`. A delivery no longer pending is returned unchanged.
 */
export function afterAttempt(d: Delivery, result: { ok: boolean; status?: number; error?: string }, now: number): Delivery {
  if (d.status !== "pending") return d;
  const attempts = d.attempts + 1;
  const lastStatus = result.status ?? null;
  if (result.ok) return { ...d, attempts, lastStatus, lastError: null, status: "delivered", nextAttemptAt: null, deliveredAt: now };
  const lastError = (result.error ?? (lastStatus === null ? "no response" : `HTTP ${lastStatus}`)).slice(0, MAX_ERROR_LENGTH);
  const deadline = d.createdAt + GIVE_UP_AFTER_MS;
  if (now >= deadline) return { ...d, attempts, lastStatus, lastError, status: "failed", nextAttemptAt: null };
  return { ...d, attempts, lastStatus, lastError, nextAttemptAt: Math.min(now + retryDelay(attempts), deadline) };
}

/** Every pending delivery and the `keep` newest finished ones (by creation), in queue order. */
export function trimHistory(queue: readonly Delivery[], keep = DEFAULT_HISTORY): Delivery[] {
  const finished = queue.filter((d) => d.status !== "pending").sort((a, b) => b.createdAt - a.createdAt);
  const kept = new Set(finished.slice(0, Math.max(keep, 0)));
  return queue.filter((d) => d.status === "pending" || kept.has(d));
}

/**
 * The queue with at most `max` pending deliveries: the oldest beyond that are given up (`failed`,
 * saying why), so that the newest events still go out. Returns the queue and the ones given up.
 */
export function capPending(queue: readonly Delivery[], max = MAX_PENDING): { queue: Delivery[]; dropped: Delivery[] } {
  const pending = queue.filter((d) => d.status === "pending").sort((a, b) => a.createdAt - b.createdAt);
  const excess = new Set(pending.slice(0, Math.max(pending.length - max, 0)).map((d) => d.id));
  if (!excess.size) return { queue: [...queue], dropped: [] };
  const dropped: Delivery[] = [];
  const next = queue.map((d) => {
    if (!excess.has(d.id)) return d;
    const given: Delivery = { ...d, status: "failed", nextAttemptAt: null, lastError: `dropped: more than ${max} deliveries were waiting` };
    dropped.push(given);
    return given;
  });
  return { queue: next, dropped };
}
