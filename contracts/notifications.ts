/**
 * Notifications: webhooks the control plane calls when something happens to a rollout (killed,
 * advanced, a guard breached…), for chat channels and incident tooling. The payload, signature
 * and retry queue are in control/policy/notifications.ts. No I/O.
 */
import * as z from "./zod";
import { parseHttpUrl } from "./urls";

/** Everything a webhook can subscribe to. */
export const NOTIFICATION_EVENTS = [
  "kill",
  "resume",
  "pause",
  "continue",
  "advance",
  "complete",
  "approval-needed",
  "guard-breach",
  "guard-warning",
  "guard-inconclusive",
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** Most webhooks one deployment may configure. */
export const MAX_WEBHOOKS = 20;
/** Shortest signing secret: 16 characters leave brute force out of reach for random secrets. */
export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 256;

const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Why `value` is not a usable webhook URL, or `undefined` when it is one. */
export function webhookUrlProblem(value: string): string | undefined {
  // http:// and loopback are allowed on purpose: local receivers in development, and only an
  // admin (who can already point origins anywhere) sets webhooks.
  const parsed = parseHttpUrl(value, "; the receiver checks the x-edge-router-signature header instead");
  return "problem" in parsed ? parsed.problem : undefined;
}

const WebhookUrl = z.string().check(
  z.maxLength(2048, "must be at most 2048 characters"),
  z.superRefine((value, ctx) => {
    const problem = webhookUrlProblem(value);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: value });
  }),
);

const Event = z.enum(NOTIFICATION_EVENTS, `must be one of: ${NOTIFICATION_EVENTS.join(", ")}`);

const Events = z.array(Event).check(
  z.minLength(1, "needs at least one event"),
  z.superRefine((events, ctx) => {
    events.forEach((event, i) => {
      if (events.indexOf(event) !== i) ctx.issues.push({ code: "custom", message: `lists ${event} twice`, input: event, path: [i] });
    });
  }),
);

const Secret = z
  .string()
  .check(z.minLength(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`), z.maxLength(MAX_SECRET_LENGTH, `must be at most ${MAX_SECRET_LENGTH} characters`));

/**
 * One receiver. The `secret` keys the HMAC-SHA256 signature of every delivery
 * (`x-edge-router-signature`); it is write-only: views show `secretSet: true` instead.
 *
 * @example { "id": "ops-slack", "url": "https://hooks.example.com/edge-router", "events": ["kill", "guard-breach"], "secret": "4f9c2e7a1b3d5f60a8e2c4b6d8f0a2c4" }
 */
export const WebhookSchema = z.strictObject({
  id: z.string().check(z.regex(SLUG, "must be a slug: lowercase letters, digits and '-', 1-64 characters, not starting with '-'")),
  url: WebhookUrl,
  events: Events,
  secret: Secret,
});

/** A list of webhooks: at most MAX_WEBHOOKS, ids unique. */
function webhookList<S extends z.ZodMiniType<{ id: string }>>(item: S) {
  return z.array(item).check(
    z.maxLength(MAX_WEBHOOKS, `at most ${MAX_WEBHOOKS} webhooks`),
    z.superRefine((hooks: Array<{ id: string }>, ctx) => {
      hooks.forEach((hook, i) => {
        if (hooks.findIndex((h) => h.id === hook.id) !== i)
          ctx.issues.push({ code: "custom", message: `duplicates the id ${JSON.stringify(hook.id)} of an earlier webhook`, input: hook.id, path: [i, "id"] });
      });
    }),
  );
}

/**
 * The notification settings as stored: every webhook with its secret.
 *
 * @example { "webhooks": [{ "id": "ops-slack", "url": "https://hooks.example.com/edge-router", "events": ["kill", "guard-breach"], "secret": "4f9c2e7a1b3d5f60a8e2c4b6d8f0a2c4" }] }
 */
export const NotificationsSchema = z.strictObject({
  /** @default [] */
  webhooks: z._default(webhookList(WebhookSchema), []),
});

/**
 * The body of `PUT /notifications`: like the stored settings, except that a webhook may leave out
 * its `secret` to keep the one stored for the same id (secrets are write-only, so a client that
 * read the settings cannot send them back). A new id needs a secret.
 *
 * @example { "webhooks": [{ "id": "ops-slack", "url": "https://hooks.example.com/edge-router", "events": ["kill", "guard-breach", "approval-needed"] }] }
 */
export const NotificationsPutSchema = z.strictObject({
  /** @default [] */
  webhooks: z._default(webhookList(z.extend(WebhookSchema, { secret: z.optional(Secret) })), []),
});

export type Webhook = z.infer<typeof WebhookSchema>;
export type NotificationsPut = z.infer<typeof NotificationsPutSchema>;
export type Notifications = z.infer<typeof NotificationsSchema>;
export type NotificationsInput = z.input<typeof NotificationsSchema>;

/** A webhook as the admin API returns it: never its secret. */
export type WebhookView = Omit<Webhook, "secret"> & { secretSet: true };
export type NotificationsView = { webhooks: WebhookView[] };

/** The settings without secrets. Picks fields by name, so a field added later stays out until listed here. */
export function notificationsView(config: Notifications): NotificationsView {
  return { webhooks: config.webhooks.map((h) => ({ id: h.id, url: h.url, events: [...h.events], secretSet: true })) };
}
