/**
 * Which notifications happen: the events an applied command sends (operators' and the alarm's
 * own: guard kills and pauses, stage advances), and those the alarm raises without changing
 * anything (an approval needed, a guard warning, a verdict inconclusive for too long), each sent
 * once per occasion thanks to per-rollout marks. Pure: state and `now` in, events and marks out;
 * control/policy/notifications.ts turns events into signed deliveries.
 */
import type { AuditEntry } from "../../contracts/audit";
import { span } from "../../contracts/format";
import type { RolloutConfig, StoredRollout } from "../../contracts/rollout";
import type { NotificationInput } from "./notifications";
import type { ControlState } from "./commands";
import { guardSince, type Evaluation } from "./schedule";
import { currentStageIndex, nextStageOf } from "./stages";

/** Whether a rollout has reached its end: 100%, or its last stage. */
export function isComplete(config: RolloutConfig): boolean {
  return config.percent >= 100 || (!!config.stages && !nextStageOf(config.stages, config.percent));
}

type Event = Omit<NotificationInput, "at" | "actor">;

/** The events of one rollout command, from the rollout before and after it. */
function rolloutEvents(audit: AuditEntry, before: StoredRollout | undefined, after: StoredRollout | undefined): Event[] {
  const rolloutId = audit.rolloutId;
  const reason = audit.reason;
  const percent = after?.config.percent ?? before?.config.percent ?? 0;
  const byGuard = audit.actor === "guard";
  const breach = (done: string): Event[] => (byGuard ? [{ event: "guard-breach", rolloutId, reason, summary: `the guard ${done} the rollout at ${percent}%` }] : []);
  switch (audit.action) {
    case "kill":
      return [...breach("killed"), { event: "kill", rolloutId, reason, summary: `at ${percent}%: every user of the rollout now goes to legacy` }];
    case "pause":
      return [...breach("paused"), { event: "pause", rolloutId, reason, summary: `stages stopped at ${percent}%` }];
    case "resume":
      return [{ event: "resume", rolloutId, reason, summary: `back to ${percent}% on new` }];
    case "continue":
      return [{ event: "continue", rolloutId, reason, summary: `stages go on from ${percent}%` }];
    case "advance":
    case "promote":
    case "patch":
    case "replace": {
      if (!before || !after || before.config.percent === after.config.percent) return [];
      const moved: Event[] =
        audit.action === "advance" || audit.action === "promote" ? [{ event: "advance", rolloutId, reason, summary: `${before.config.percent}% → ${percent}%` }] : [];
      const done = isComplete(after.config) && !isComplete(before.config);
      return done ? [...moved, { event: "complete", rolloutId, reason, summary: `at ${percent}%, the last stage` }] : moved;
    }
    default:
      return [];
  }
}

/** The notifications a command sends once applied (`audit` is its audit entry). */
export function commandEvents(audit: AuditEntry, before: ControlState, after: ControlState): NotificationInput[] {
  const base = { at: Date.parse(audit.at), actor: audit.actor };
  if (audit.action === "kill-all") return [{ ...base, event: "kill", rolloutId: null, reason: audit.reason, summary: "every rollout goes to legacy" }];
  if (audit.action === "resume-all") return [{ ...base, event: "resume", rolloutId: null, reason: audit.reason, summary: "rollouts go back to their own settings" }];
  if (audit.rolloutId === null) return [];
  const events = rolloutEvents(audit, before.rollouts.get(audit.rolloutId), after.rollouts.get(audit.rolloutId));
  return events.map((e) => ({ ...base, ...e }));
}

/** What the alarm remembers per rollout, so that each notice goes out once per occasion. */
export interface NoticeMarks {
  /** The stage move an `approval-needed` was sent for: `<percentSince>><percent>`. */
  approvalAsked?: string;
  /** When the last `guard-warning` went out (ms). */
  warnedAt?: number;
  /** Since when the verdict has been inconclusive (ms), and whether that was sent. */
  inconclusiveSince?: number;
  inconclusiveNotified?: boolean;
}

/**
 * The notices of one alarm evaluation that applied no command: `approval-needed` once per stage
 * move, `guard-warning` at most once per guard window, `guard-inconclusive` once the verdict has
 * been inconclusive for longer than the current stage's hold (at least the guard's window).
 */
export function alarmNotices(r: StoredRollout, evaluation: Evaluation, marks: NoticeMarks, now: number): { events: NotificationInput[]; marks: NoticeMarks } {
  const rolloutId = r.config.id;
  const events: NotificationInput[] = [];
  const next: NoticeMarks = { ...marks };
  const { verdict, plan } = evaluation;

  if (plan?.action === "wait" && plan.blocker === "approval") {
    const stage = nextStageOf(r.config.stages ?? [], r.config.percent);
    const key = `${r.percentSince ?? r.updatedAt}>${stage?.percent}`;
    if (marks.approvalAsked !== key) {
      next.approvalAsked = key;
      const summary = `${stage?.percent}% requires an approval: POST /rollouts/${rolloutId}/approve, or edge-router approve ${rolloutId}`;
      events.push({ event: "approval-needed", rolloutId, at: now, actor: "stages", reason: plan.reason, summary });
    }
  }

  const windowMs = verdict.windowSeconds * 1000;
  if ((verdict.warnings ?? []).length && verdict.status !== "breach" && (marks.warnedAt === undefined || now - marks.warnedAt >= windowMs)) {
    next.warnedAt = now;
    const reason = `${verdict.warnings.map((w) => w.sentence).join("; ")}.`;
    events.push({ event: "guard-warning", rolloutId, at: now, actor: "guard", reason, summary: verdict.summary });
  }

  if (verdict.status === "inconclusive") {
    // A new stage, resume or continue starts the count again.
    const restart = marks.inconclusiveSince === undefined || marks.inconclusiveSince < guardSince(r);
    const since = restart ? now : marks.inconclusiveSince!;
    let notified = restart ? false : (marks.inconclusiveNotified ?? false);
    const stages = r.config.stages ?? [];
    const index = currentStageIndex(stages, r.config.percent);
    const hold = index >= 0 ? stages[index]!.holdSeconds * 1000 : 0;
    if (!notified && now - since > Math.max(hold, windowMs)) {
      notified = true;
      events.push({ event: "guard-inconclusive", rolloutId, at: now, actor: "guard", reason: verdict.summary, summary: `inconclusive for ${span(now - since)}` });
    }
    next.inconclusiveSince = since;
    next.inconclusiveNotified = notified;
  } else {
    delete next.inconclusiveSince;
    delete next.inconclusiveNotified;
  }
  return { events, marks: next };
}
