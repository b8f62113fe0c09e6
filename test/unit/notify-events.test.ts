/**
 * Which webhooks fire when: every operator command and alarm action that a plan's communication
 * section asks to hear about, the alarm's own notices once per occasion, and the settings with
 * write-only secrets.
 */
import { describe, expect, it } from "vitest";
import type { Verdict } from "../../contracts/guard";
import { NotificationsSchema, type Notifications } from "../../contracts/notifications";
import { applyCommand, EMPTY_STATE, type Command, type ControlState } from "../../control/policy/commands";
import { putNotifications } from "../../control/policy/notification-settings";
import { afterAttempt, capPending, notificationPayload, plan } from "../../control/policy/notifications";
import { alarmNotices, commandEvents } from "../../control/policy/notify-events";
import type { Evaluation } from "../../control/policy/schedule";

const t0 = Date.parse("2026-11-23T12:00:00Z");
const origins = { legacy: "https://l.example", new: "https://n.example" };
const stages = [
  { percent: 10, holdSeconds: 600 },
  { percent: 50, holdSeconds: 600, requiresApproval: true },
  { percent: 100, holdSeconds: 0 },
];

function step(s: ControlState, command: Command, actor = "alice", at = t0) {
  const out = applyCommand(s, command, { now: new Date(at), actor });
  if (!out.ok || !out.changed) throw new Error(`expected a change: ${JSON.stringify(out)}`);
  return { state: out.state, events: commandEvents(out.audit, s, out.state) };
}
const created = (config: Record<string, unknown>) => step(EMPTY_STATE, { type: "put", id: "r", body: { origins, ...config } }).state;
const kinds = (events: Array<{ event: string }>) => events.map((e) => e.event);

describe("events of commands", () => {
  it("a guard's kill is a kill and a guard breach, with the guard's sentence as the reason", () => {
    const { events } = step(created({ percent: 25 }), { type: "kill", id: "r", body: { reason: "guard maxErrorRate: new error rate 20.1% …" } }, "guard");
    expect(events).toEqual([
      { event: "guard-breach", rolloutId: "r", at: t0, actor: "guard", reason: "guard maxErrorRate: new error rate 20.1% …", summary: "the guard killed the rollout at 25%" },
      {
        event: "kill",
        rolloutId: "r",
        at: t0,
        actor: "guard",
        reason: "guard maxErrorRate: new error rate 20.1% …",
        summary: "at 25%: every user of the rollout now goes to legacy",
      },
    ]);
  });

  it("an operator's kill, pause, continue and resume are one event each", () => {
    let s = created({ percent: 10, stages });
    const seen: string[] = [];
    for (const type of ["kill", "resume", "pause", "continue"] as const) {
      const out = step(s, { type, id: "r", body: {} });
      s = out.state;
      seen.push(...kinds(out.events));
    }
    expect(seen).toEqual(["kill", "resume", "pause", "continue"]);
  });

  it("a stage move is an advance; the move onto the last stage also completes the rollout", () => {
    const s = created({ percent: 50, stages });
    const { events } = step(s, { type: "advance", id: "r", percent: 100, reason: "stage: held 50% for 10 min" }, "stages");
    expect(events.map((e) => [e.event, e.summary])).toEqual([
      ["advance", "50% → 100%"],
      ["complete", "at 100%, the last stage"],
    ]);
    expect(kinds(step(created({ percent: 10, stages }), { type: "promote", id: "r", body: {} }).events)).toEqual(["advance"]);
  });

  it("the global switch names no rollout; approvals, config edits and creates send nothing", () => {
    expect(step(created({}), { type: "kill-all", body: { reason: "incident 4711" } }).events).toEqual([
      { event: "kill", rolloutId: null, at: t0, actor: "alice", reason: "incident 4711", summary: "every rollout goes to legacy" },
    ]);
    expect(step(created({ percent: 10, stages }), { type: "approve", id: "r", body: {} }).events).toEqual([]);
    expect(step(created({}), { type: "patch", id: "r", patch: { description: "x" } }).events).toEqual([]);
    expect(step(EMPTY_STATE, { type: "put", id: "r", body: { origins, percent: 100 } }).events).toEqual([]);
  });
});

describe("the alarm's notices", () => {
  const verdict = (v: Partial<Verdict>): Verdict => ({
    status: "healthy",
    summary: "Within limits.",
    windowSeconds: 60,
    samples: { legacy: 500, new: 500 },
    users: { legacy: 40, new: 40 },
    breaches: [],
    skipped: [],
    unconfirmed: [],
    warnings: [],
    ...v,
  });
  const rollout = (s: ControlState) => s.rollouts.get("r")!;

  it("asks for an approval once per stage move, not at every check", () => {
    const r = rollout(created({ percent: 10, stages }));
    const waiting: Evaluation = {
      rolloutId: "r",
      verdict: verdict({}),
      plan: { action: "wait", blocker: "approval", reason: "awaiting approval to enter 50%: the hold is done", dueAt: null },
    };
    const first = alarmNotices(r, waiting, {}, t0);
    expect(first.events).toEqual([
      {
        event: "approval-needed",
        rolloutId: "r",
        at: t0,
        actor: "stages",
        reason: "awaiting approval to enter 50%: the hold is done",
        summary: "50% requires an approval: POST /rollouts/r/approve, or edge-router approve r",
      },
    ]);
    expect(alarmNotices(r, waiting, first.marks, t0 + 5000).events).toEqual([]);
    // Back at 10% after a change of percentage: a new stage move, asked again.
    const again = { ...r, percentSince: new Date(t0 + 60_000).toISOString() };
    expect(kinds(alarmNotices(again, waiting, first.marks, t0 + 65_000).events)).toEqual(["approval-needed"]);
  });

  it("sends a warning at most once per guard window, and none with a breach", () => {
    const r = rollout(created({ percent: 10 }));
    const warned = verdict({ warnings: [{ limit: "maxP95Ms", threshold: 500, value: 640, baseline: 300, sentence: "new p95 640 ms … exceeds warn.maxP95Ms 500 ms" }] });
    const evaluation: Evaluation = { rolloutId: "r", verdict: warned };
    const first = alarmNotices(r, evaluation, {}, t0);
    expect(first.events).toMatchObject([{ event: "guard-warning", actor: "guard", reason: "new p95 640 ms … exceeds warn.maxP95Ms 500 ms.", summary: "Within limits." }]);
    expect(alarmNotices(r, evaluation, first.marks, t0 + 59_999).events).toEqual([]);
    expect(kinds(alarmNotices(r, evaluation, first.marks, t0 + 60_000).events)).toEqual(["guard-warning"]);
    expect(alarmNotices(r, { rolloutId: "r", verdict: { ...warned, status: "breach" } }, {}, t0).events).toEqual([]);
  });

  it("reports a verdict inconclusive for longer than the stage's hold, once", () => {
    const r = rollout(created({ percent: 10, stages, guard: { maxErrorRate: 0.05 } }));
    const evaluation: Evaluation = {
      rolloutId: "r",
      verdict: verdict({ status: "inconclusive", summary: "Not enough traffic on new to judge: 37 of 100 requests needed in 60 s." }),
    };
    let marks = {};
    const sent: number[] = [];
    for (let t = t0; t <= t0 + 1_200_000; t += 5000) {
      const out = alarmNotices(r, evaluation, marks, t);
      marks = out.marks;
      if (out.events.length) sent.push(t - t0);
    }
    // The hold is 600 s: the first check after it.
    expect(sent).toEqual([605_000]);
    // A conclusive verdict ends the streak; the next one counts from zero.
    marks = alarmNotices(r, { rolloutId: "r", verdict: verdict({}) }, marks, t0 + 1_205_000).marks;
    expect(alarmNotices(r, evaluation, marks, t0 + 1_210_000).events).toEqual([]);
  });
});

describe("notification settings", () => {
  const secret = "0123456789abcdef-secret";
  const stored: Notifications = NotificationsSchema.parse({ webhooks: [{ id: "ops", url: "https://hooks.example.com/ops", events: ["kill"], secret }] });
  const ctx = { now: new Date(t0), actor: "alice" };

  it("keeps the stored secret when a PUT leaves it out, and never puts a secret in the audit log", () => {
    const out = putNotifications(stored, { webhooks: [{ id: "ops", url: "https://hooks.example.com/ops2", events: ["kill", "approval-needed"] }] }, ctx, 7);
    if (!out.ok || !out.changed) throw new Error("expected a change");
    expect(out.settings.webhooks[0]).toEqual({ id: "ops", url: "https://hooks.example.com/ops2", events: ["kill", "approval-needed"], secret });
    expect(out.audit).toMatchObject({ action: "notifications", actor: "alice", version: 7, rolloutId: null });
    expect(JSON.stringify(out.audit)).not.toContain(secret);
  });

  it("says which secret changed without showing it", () => {
    const out = putNotifications(stored, { webhooks: [{ id: "ops", url: "https://hooks.example.com/ops", events: ["kill"], secret: "a-brand-new-secret-value" }] }, ctx, 7);
    expect(out).toMatchObject({ ok: true, changed: true, audit: { after: { secretsChanged: ["ops"] } } });
    expect(JSON.stringify((out as { audit: unknown }).audit)).not.toContain("a-brand-new-secret-value");
  });

  it("refuses a new webhook without a secret at its field, and changes nothing on an equal PUT", () => {
    expect(putNotifications(stored, { webhooks: [{ id: "new-hook", url: "https://x.example/h", events: ["kill"] }] }, ctx, 7)).toEqual({
      ok: false,
      error: {
        kind: "invalid",
        detail: "the notification settings are invalid",
        issues: [{ pointer: "/webhooks/0/secret", message: 'is required: no webhook "new-hook" is stored yet, so there is no secret to keep' }],
      },
    });
    expect(putNotifications(stored, { webhooks: [{ id: "ops", url: "https://hooks.example.com/ops", events: ["kill"] }] }, ctx, 7)).toMatchObject({ ok: true, changed: false });
    expect(putNotifications(stored, [], ctx, 7)).toMatchObject({ ok: false, error: { issues: [{ pointer: "" }] } });
    expect(putNotifications(stored, { webhooks: [{ id: "ops", url: "https://hooks.example.com/ops", events: ["explode"] }] }, ctx, 7)).toMatchObject({
      ok: false,
      error: { issues: [{ pointer: "/webhooks/0/events/0" }] },
    });
  });
});

describe("the delivery queue's bound", () => {
  const hook = NotificationsSchema.parse({ webhooks: [{ id: "ops", url: "https://hooks.example.com/ops", events: ["guard-warning"], secret: "0123456789abcdef" }] }).webhooks;
  const warning = (i: number) => plan(hook, notificationPayload({ event: "guard-warning", rolloutId: "r", at: t0 + i, actor: "guard" }), t0 + i, () => `d-${i}`)[0]!;

  it("gives up the oldest pending deliveries beyond the bound, saying why, so that the newest still go out", () => {
    const delivered = afterAttempt(warning(0), { ok: true, status: 200 }, t0);
    const queue = [delivered, ...Array.from({ length: 5 }, (_, i) => warning(i + 1))];
    const { queue: capped, dropped } = capPending(queue, 3);
    expect(dropped.map((d) => d.id)).toEqual(["d-1", "d-2"]);
    expect(dropped[0]).toMatchObject({ status: "failed", nextAttemptAt: null, lastError: "dropped: more than 3 deliveries were waiting" });
    expect(capped.filter((d) => d.status === "pending").map((d) => d.id)).toEqual(["d-3", "d-4", "d-5"]);
    expect(capped[0]).toBe(delivered);
    expect(capPending(queue, 5)).toEqual({ queue, dropped: [] });
  });
});
