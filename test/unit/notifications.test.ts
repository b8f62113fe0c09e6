import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { toFieldIssues } from "../../contracts/field-issues";
import { NOTIFICATION_EVENTS, NotificationsSchema, notificationsView, type NotificationsInput } from "../../contracts/notifications";
import { afterAttempt, deliveryHeaders, due, nextDueAt, notificationPayload, plan, trimHistory, type Delivery } from "../../control/policy/notifications";

const GIVE_UP = 24 * 3600_000;
const SECRET = "s3cret-Ünïcødé-🔑-0123456789";
const hook = (id: string, events: string[], extra: object = {}) => ({ id, url: `https://hooks.example.com/${id}`, events, secret: SECRET, ...extra });
const config = (webhooks: unknown[]) => NotificationsSchema.parse({ webhooks } as NotificationsInput);

function refusals(webhooks: unknown[]) {
  const result = NotificationsSchema.safeParse({ webhooks });
  expect(result.success).toBe(false);
  return toFieldIssues(result.error!);
}

describe("notifications contract", () => {
  it("accepts http and loopback receivers on purpose, and no webhooks at all", () => {
    expect(config([hook("local", ["kill"], { url: "http://127.0.0.1:8787/hook" }), hook("dev", ["kill"], { url: "http://localhost/x?channel=ops" })]).webhooks).toHaveLength(2);
    expect(NotificationsSchema.parse({})).toEqual({ webhooks: [] });
  });

  it("refuses a repeated webhook id at the second one", () => {
    expect(refusals([hook("ops", ["kill"]), hook("ops", ["pause"])])).toEqual([{ pointer: "/webhooks/1/id", message: expect.stringContaining('"ops"') }]);
  });

  it("refuses bad ids, URLs, events and secrets at their exact field", () => {
    const pointers = (h: object) => refusals([hook("ok", ["kill"]), h]).map((i) => i.pointer);
    expect(pointers(hook("Ops_Team", ["kill"]))).toEqual(["/webhooks/1/id"]);
    expect(pointers(hook("a", ["kill"], { url: "ftp://hooks.example.com/x" }))).toEqual(["/webhooks/1/url"]);
    expect(pointers(hook("a", ["kill"], { url: "/relative" }))).toEqual(["/webhooks/1/url"]);
    expect(pointers(hook("a", ["kill"], { url: "https://user:pw@hooks.example.com/" }))).toEqual(["/webhooks/1/url"]);
    expect(pointers(hook("a", []))).toEqual(["/webhooks/1/events"]);
    expect(pointers(hook("a", ["kill", "explode"]))).toEqual(["/webhooks/1/events/1"]);
    expect(pointers(hook("a", ["kill", "pause", "kill"]))).toEqual(["/webhooks/1/events/2"]);
    expect(pointers(hook("a", ["kill"], { secret: "x".repeat(15) }))).toEqual(["/webhooks/1/secret"]);
    expect(pointers(hook("a", ["kill"], { secret: "x".repeat(257) }))).toEqual(["/webhooks/1/secret"]);
    expect(pointers({ id: "a", url: "https://x.example", events: ["kill"] })).toEqual(["/webhooks/1/secret"]);
  });

  it("refuses more than 20 webhooks", () => {
    const many = Array.from({ length: 21 }, (_, i) => hook(`h${i}`, ["kill"]));
    expect(refusals(many).map((i) => i.pointer)).toEqual(["/webhooks"]);
    expect(config(many.slice(0, 20)).webhooks).toHaveLength(20);
  });

  it("never shows a secret in the view built from a config", () => {
    const view = notificationsView(config([hook("ops", ["kill", "guard-breach"]), hook("pager", ["kill"], { secret: "another-secret-value-42" })]));
    const json = JSON.stringify(view);
    expect(json).not.toContain(SECRET);
    expect(json).not.toContain("another-secret-value-42");
    expect(json).not.toMatch(/"secret"/);
    expect(view.webhooks).toEqual([
      { id: "ops", url: "https://hooks.example.com/ops", events: ["kill", "guard-breach"], secretSet: true },
      { id: "pager", url: "https://hooks.example.com/pager", events: ["kill"], secretSet: true },
    ]);
  });
});

describe("payload", () => {
  it("carries the event with an ISO time and one line of Slack text: emoji, bold id, who and why", () => {
    const p = notificationPayload({ event: "kill", rolloutId: "checkout-v2", at: Date.UTC(2025, 5, 2, 20, 15), actor: "alice@example.com", reason: "error spike\non checkout" });
    expect(p).toEqual({
      event: "kill",
      rollout: "checkout-v2",
      at: "2025-06-02T20:15:00.000Z",
      actor: "alice@example.com",
      reason: "error spike\non checkout",
      summary: null,
      text: "🛑 *checkout-v2* killed by alice@example.com: error spike on checkout",
    });
    expect(notificationPayload({ event: "kill", rolloutId: "x", at: new Date(Date.UTC(2025, 5, 2)), actor: "a" }).at).toBe("2025-06-02T00:00:00.000Z");
  });

  it("gives every event kind its own emoji", () => {
    const emojis = NOTIFICATION_EVENTS.map((event) => notificationPayload({ event, rolloutId: "r", at: 0, actor: "a" }).text.split(" ")[0]);
    expect(new Set(emojis).size).toBe(NOTIFICATION_EVENTS.length);
    expect(emojis.every((e) => e && !/^[\w*]/.test(e))).toBe(true);
  });

  it("falls back to the summary, names the global switch, and cannot ping a whole Slack channel", () => {
    expect(notificationPayload({ event: "guard-breach", rolloutId: "r", at: 0, actor: "guard", summary: "new error rate 20.1%" }).text).toBe(
      "🚨 *r* breached its guard, reported by guard: new error rate 20.1%",
    );
    expect(notificationPayload({ event: "kill", rolloutId: null, at: 0, actor: "bob", reason: "incident" }).text).toBe("🛑 *all rollouts* killed by bob: incident");
    const text = notificationPayload({ event: "pause", rolloutId: "r", at: 0, actor: "<!channel>", reason: "see <!here> & <https://evil.example|docs>" }).text;
    expect(text).not.toMatch(/[<>]/);
    expect(text).toContain("&lt;!here&gt; &amp; ");
  });
});

describe("signed headers", () => {
  it("signs timestamp.body with HMAC-SHA256 over the secret's UTF-8 bytes, as node:crypto computes it", async () => {
    const body = JSON.stringify(notificationPayload({ event: "advance", rolloutId: "checkout-v2", at: 0, actor: "stages", reason: "held 10% for 600 s" }));
    const headers = await deliveryHeaders({ secret: SECRET, body, timestampSeconds: 1748895300, deliveryId: "d-1", event: "advance" });
    const expected = createHmac("sha256", Buffer.from(SECRET, "utf8")).update(`1748895300.${body}`).digest("hex");
    expect(headers).toEqual({
      "content-type": "application/json",
      "x-edge-router-event": "advance",
      "x-edge-router-delivery": "d-1",
      "x-edge-router-timestamp": "1748895300",
      "x-edge-router-signature": `sha256=${expected}`,
    });
  });

  it("changes the signature when the body, the timestamp or the secret changes", async () => {
    const sign = async (secret: string, body: string, ts: number) =>
      (await deliveryHeaders({ secret, body, timestampSeconds: ts, deliveryId: "d", event: "kill" }))["x-edge-router-signature"];
    const base = await sign(SECRET, '{"a":1}', 100);
    expect(await sign(SECRET, '{"a":2}', 100)).not.toBe(base);
    expect(await sign(SECRET, '{"a":1}', 101)).not.toBe(base);
    expect(await sign(SECRET + "x", '{"a":1}', 100)).not.toBe(base);
  });
});

describe("delivery queue", () => {
  const T0 = Date.UTC(2025, 5, 2, 12);
  const webhooks = config([hook("ops", ["kill", "guard-breach"]), hook("pager", ["kill"]), hook("audit", ["advance", "complete"])]).webhooks;
  const payload = notificationPayload({ event: "guard-breach", rolloutId: "r", at: T0, actor: "guard", reason: "p95" });
  const ids = () => {
    let n = 0;
    return () => `d-${++n}`;
  };

  it("plans one delivery per webhook subscribed to the event, with the exact body and no secret", () => {
    const planned = plan(webhooks, payload, T0, ids());
    expect(planned.map((d) => [d.id, d.webhookId, d.url])).toEqual([["d-1", "ops", "https://hooks.example.com/ops"]]);
    expect(JSON.parse(planned[0]!.body)).toEqual(payload);
    expect(planned[0]).toMatchObject({ status: "pending", attempts: 0, nextAttemptAt: T0, createdAt: T0 });
    expect(JSON.stringify(planned)).not.toContain(SECRET);
    const kill = notificationPayload({ event: "kill", rolloutId: "r", at: T0, actor: "a" });
    expect(plan(webhooks, kill, T0, ids()).map((d) => d.webhookId)).toEqual(["ops", "pager"]);
    expect(plan(webhooks, notificationPayload({ event: "resume", rolloutId: "r", at: T0, actor: "a" }), T0, ids())).toEqual([]);
  });

  it("backs off from 10 s, doubling to at most 1 h, and gives up with a last try exactly 24 h after creation", () => {
    let d: Delivery = plan(webhooks, payload, T0, ids())[0]!;
    const attemptTimes: number[] = [];
    while (d.status === "pending") {
      const now = d.nextAttemptAt!;
      expect(due([d], now)).toEqual([d]);
      expect(due([d], now - 1)).toEqual([]);
      attemptTimes.push(now);
      d = afterAttempt(d, { ok: false, status: 503 }, now);
    }
    const gaps = attemptTimes.slice(1).map((t, i) => (t - attemptTimes[i]!) / 1000);
    expect(gaps.slice(0, 11)).toEqual([10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]);
    // 10 s·(2⁹−1) = 5110 s of doubling, then 22 hourly waits to 84,310 s, then 2090 s to exactly 86,400 s.
    expect(gaps.length).toBe(32);
    expect(gaps.at(-1)).toBe(2090);
    expect(attemptTimes.at(-1)).toBe(T0 + 24 * 3600_000);
    expect(d).toMatchObject({ status: "failed", attempts: 33, nextAttemptAt: null, lastStatus: 503, lastError: "HTTP 503", deliveredAt: null });
    expect(nextDueAt([d])).toBeNull();
  });

  it("retries a 404 and a network error too, then records the 2xx that gets through", () => {
    let d = plan(webhooks, payload, T0, ids())[0]!;
    d = afterAttempt(d, { ok: false, status: 404 }, T0);
    expect(d).toMatchObject({ status: "pending", lastStatus: 404, lastError: "HTTP 404", nextAttemptAt: T0 + 10_000 });
    d = afterAttempt(d, { ok: false, error: "connection refused" }, T0 + 10_000);
    expect(d).toMatchObject({ status: "pending", lastStatus: null, lastError: "connection refused", nextAttemptAt: T0 + 30_000 });
    d = afterAttempt(d, { ok: true, status: 204 }, T0 + 31_000);
    expect(d).toMatchObject({ status: "delivered", attempts: 3, deliveredAt: T0 + 31_000, nextAttemptAt: null, lastStatus: 204, lastError: null });
    expect(due([d], T0 + 10 * 3600_000)).toEqual([]);
    expect(afterAttempt(d, { ok: false, status: 500 }, T0 + 40_000)).toBe(d);
  });

  it("sends the longest-waiting deliveries first and tells the alarm when the next is due", () => {
    const [a, b, c] = plan(webhooks, notificationPayload({ event: "kill", rolloutId: "r", at: T0, actor: "a" }), T0, ids()).concat(plan(webhooks, payload, T0 + 5, ids()));
    const later = afterAttempt(a!, { ok: false, status: 500 }, T0); // next at T0 + 10 s
    const queue = [later, b!, c!];
    expect(due(queue, T0 + 5).map((d) => d.webhookId + d.createdAt)).toEqual([`pager${T0}`, `ops${T0 + 5}`]);
    expect(due(queue, T0 + 10_000, 1)).toEqual([b]);
    expect(nextDueAt([later])).toBe(T0 + 10_000);
  });

  it("trims history to the newest finished deliveries, keeping every pending one in place", () => {
    const queue: Delivery[] = Array.from({ length: 10 }, (_, i) => {
      const d = plan(webhooks, payload, T0 + i * 1000, () => `d-${i}`)[0]!;
      return i % 3 === 0 ? d : afterAttempt(d, { ok: i % 2 === 0 }, T0 + i * 1000 + (i % 2 ? GIVE_UP : 0));
    });
    const kept = trimHistory(queue, 2).map((d) => d.id);
    // pending: 0, 3, 6, 9; finished newest first: 8 (delivered), 7 (failed), then 5, 4, 2, 1 dropped
    expect(kept).toEqual(["d-0", "d-3", "d-6", "d-7", "d-8", "d-9"]);
    expect(trimHistory(queue).length).toBe(10);
  });
});
