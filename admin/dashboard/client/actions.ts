/**
 * Every button that writes, in one table: when it shows, what the confirmation says, and which
 * request it sends. A new button (APPROVE, say) is one more row here; the cards and the header
 * render whatever these tables hold. Pure: no DOM, no I/O.
 */
import { rolloutPath, type ApiReply, type WriteRequest } from "./api";
import type { GlobalKill, RolloutView, WriteReply } from "./wire";

/** What the confirmation dialog asks. */
export interface Confirmation {
  title: string;
  text: string;
  /** Ask for a reason (it goes into the audit log). */
  askReason: boolean;
  /** Red confirm button (the change takes traffic away from users or from new). */
  danger: boolean;
}

export interface Action<Ctx> {
  /** The button's `data-action` (and, for global actions, its id). */
  id: string;
  label: string;
  style?: "danger" | "primary";
  shown(ctx: Ctx): boolean;
  confirm(ctx: Ctx): Confirmation;
  /** The write, once confirmed with `reason` ("" when none was asked or given). */
  request(ctx: Ctx, reason: string): WriteRequest;
  /** How messages name the action, e.g. "Kill checkout". */
  name(ctx: Ctx): string;
}

/** A rollout card's state when a button is pressed. */
export interface RolloutContext {
  rollout: RolloutView;
  /** The number in the card's "set %" field. */
  percent: number;
}

const withReason = (reason: string) => (reason ? { reason } : {});
const staged = (r: RolloutView) => r.stage !== null;

/** A POST to `/rollouts/:id/<verb>` with If-Match: the shape of every command on one rollout. */
function command(verb: string, text: string, when: (r: RolloutView) => boolean): Action<RolloutContext> {
  const cap = verb[0]!.toUpperCase() + verb.slice(1);
  return {
    id: verb,
    label: verb.toUpperCase(),
    shown: ({ rollout }) => when(rollout),
    confirm: ({ rollout }) => ({ title: `${verb.toUpperCase()} ${rollout.id}?`, text, askReason: false, danger: false }),
    request: ({ rollout }) => ({ method: "POST", path: `${rolloutPath(rollout.id)}/${verb}`, body: {}, ifMatch: rollout.version }),
    name: ({ rollout }) => `${cap} ${rollout.id}`,
  };
}

/** The buttons of a rollout card, in the order they appear (after the "set %" field). */
export const ROLLOUT_ACTIONS: ReadonlyArray<Action<RolloutContext>> = [
  {
    id: "set",
    label: "Apply %",
    shown: () => true,
    confirm: ({ rollout, percent }) => {
      const from = rollout.config.percent;
      const effect = percent > from ? " Users already on new stay on new." : " Some users on new go back to legacy.";
      return { title: `Set ${rollout.id} to ${percent}%?`, text: `From ${from}% to ${percent}%.${effect}`, askReason: false, danger: percent < from };
    },
    request: ({ rollout, percent }) => ({ method: "PATCH", path: rolloutPath(rollout.id), body: { percent }, ifMatch: rollout.version }),
    name: ({ rollout, percent }) => `Set ${rollout.id} to ${percent}%`,
  },
  {
    id: "approve",
    label: "APPROVE",
    style: "primary",
    shown: ({ rollout }) => rollout.stage?.awaitingApproval === true,
    confirm: ({ rollout }) => ({
      title: `Approve ${rollout.stage?.nextPercent}% for ${rollout.id}?`,
      text: `The scheduler enters ${rollout.stage?.nextPercent}% within 5 s once the hold, the guard and the schedule allow. Now: ${rollout.stage?.waiting ?? "-"}.`,
      askReason: true,
      danger: false,
    }),
    // If-Match: the approval is for the stage shown, not one that a change since has made next.
    request: ({ rollout }, reason) => ({ method: "POST", path: `${rolloutPath(rollout.id)}/approve`, body: withReason(reason), ifMatch: rollout.version }),
    name: ({ rollout }) => `Approve ${rollout.stage?.nextPercent}% for ${rollout.id}`,
  },
  command("promote", "Move to the next stage now, without waiting for the hold.", staged),
  command("pause", "Stop advancing through stages; the percentage stays.", (r) => staged(r) && r.status === "live"),
  command("continue", "Resume advancing through stages.", (r) => staged(r) && r.status === "paused"),
  {
    id: "resume",
    label: "RESUME",
    style: "primary",
    shown: ({ rollout }) => rollout.status === "killed",
    confirm: ({ rollout }) => ({ title: `Resume ${rollout.id}?`, text: `Users go back to their buckets at ${rollout.config.percent}%.`, askReason: false, danger: false }),
    request: ({ rollout }) => ({ method: "POST", path: `${rolloutPath(rollout.id)}/resume`, body: {}, ifMatch: rollout.version }),
    name: ({ rollout }) => `Resume ${rollout.id}`,
  },
  {
    id: "kill",
    label: "KILL",
    style: "danger",
    shown: ({ rollout }) => rollout.status !== "killed",
    confirm: ({ rollout }) => ({
      title: `Kill ${rollout.id}?`,
      text: "Every user of this rollout goes to legacy within a second, allowlists and overrides included.",
      askReason: true,
      danger: true,
    }),
    // Unconditional, like the CLI's: a stage advance or a guard pause while the dialog is open must
    // never make an operator's kill fail with 412.
    request: ({ rollout }, reason) => ({ method: "POST", path: `${rolloutPath(rollout.id)}/kill`, body: withReason(reason) }),
    name: ({ rollout }) => `Kill ${rollout.id}`,
  },
];

/** The header's buttons: the global kill switch (no If-Match: it is above every rollout). */
export const GLOBAL_ACTIONS: ReadonlyArray<Action<GlobalKill>> = [
  {
    id: "kill-all",
    label: "KILL ALL",
    style: "danger",
    shown: (g) => !g.killed,
    confirm: () => ({ title: "Kill every rollout?", text: "Every user of every rollout goes to legacy within a second.", askReason: true, danger: true }),
    request: (_g, reason) => ({ method: "POST", path: "/kill", body: withReason(reason) }),
    name: () => "Global kill",
  },
  {
    id: "resume-all",
    label: "RESUME ALL",
    shown: (g) => g.killed,
    confirm: () => ({
      title: "Turn the global kill switch off?",
      text: "Rollouts go back to their own settings (rollouts killed one by one stay killed).",
      askReason: false,
      danger: false,
    }),
    request: () => ({ method: "POST", path: "/resume", body: {} }),
    name: () => "Global resume",
  },
];

/** The banner after a write: a stale version (412) explained, a problem with its field issues, or done. */
export function outcomeMessage(name: string, reply: ApiReply<WriteReply>): { kind: "info" | "error"; text: string } {
  if (reply.ok) return { kind: "info", text: name + (reply.data.changed ? `: done (version ${reply.data.version}).` : ": nothing to change.") };
  const p = reply.problem;
  if (reply.status === 412) {
    return {
      kind: "error",
      text: `${name}: someone else changed this rollout since you loaded it (now version ${p.current}). The page shows the new state; check it and try again.`,
    };
  }
  const details = (p.errors ?? []).map((e) => `${e.pointer}: ${e.message}`).join("; ");
  return { kind: "error", text: `${name} failed (${reply.status}): ${p.detail || p.title || ""}${details ? ` — ${details}` : ""}` };
}
