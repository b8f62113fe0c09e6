/** The page-level parts that are not cards: banners, the header's buttons, the audit table. */
import type { Action } from "./actions";
import { auditRows } from "./audit";
import { byId, h } from "./dom";
import { ago } from "./format";
import type { AuditEntry, GlobalKill, Whoami } from "./wire";

/** How long a success message stays. */
const INFO_MS = 8000;

/** Shows one message above the rollouts (replacing the last); info messages go away by themselves. */
export function message(kind: "info" | "error", text: string): void {
  const banner = h("div", { class: `banner ${kind}`, role: kind === "info" ? "status" : "alert" }, text);
  byId("messages", HTMLElement).replaceChildren(banner);
  if (kind === "info") setTimeout(() => banner.remove(), INFO_MS);
}

/** The red banner while the global kill switch is on; nothing otherwise. */
export function renderGlobalKill(g: GlobalKill, now: number): void {
  const global = byId("global", HTMLElement);
  if (!g.killed) {
    global.replaceChildren();
    return;
  }
  const who = `${g.reason ? `Reason: ${g.reason} · ` : ""}${g.by ?? ""} ${ago(g.at, now)}`;
  global.replaceChildren(h("div", { class: "banner killed", "data-testid": "global-kill" }, `GLOBAL KILL SWITCH ON — every rollout goes to legacy. ${who}`));
}

/**
 * Creates the header's buttons once (each with its action's id: `#kill-all`, `#resume-all`), so a
 * refresh never swaps a button from under the pointer. Returns the function that shows the ones
 * that apply to `ctx` (none for null, when signed out).
 */
export function mountGlobalActions<Ctx>(actions: ReadonlyArray<Action<Ctx>>, onClick: (action: Action<Ctx>) => void): (ctx: Ctx | null) => void {
  const buttons = actions.map((action) => {
    const button = h("button", { id: action.id, "data-action": action.id, class: action.style, hidden: true }, action.label);
    button.addEventListener("click", () => onClick(action));
    return { action, button };
  });
  byId("global-actions", HTMLElement).replaceChildren(...buttons.map((b) => b.button));
  return (ctx) => {
    for (const { action, button } of buttons) button.hidden = ctx === null || !action.shown(ctx);
  };
}

export function renderAudit(entries: readonly AuditEntry[]): void {
  byId("audit-card", HTMLElement).hidden = false;
  byId("audit", HTMLTableSectionElement).replaceChildren(...auditRows(entries));
}

/** Who is signed in, in the header: the token's name and scopes (nothing when unknown). */
export function renderWhoami(who: Whoami | null): void {
  byId("whoami", HTMLElement).textContent = who ? `signed in as ${who.name} (${who.scopes.join(", ")})` : "";
}

/** Back to the sign-in form: everything that needs the token is cleared. */
export function renderSignedOut(error: string): void {
  renderWhoami(null);
  byId("login", HTMLElement).hidden = false;
  byId("login-error", HTMLElement).textContent = error;
  byId("logout", HTMLButtonElement).hidden = true;
  byId("audit-card", HTMLElement).hidden = true;
  for (const id of ["rollouts", "global"]) byId(id, HTMLElement).replaceChildren();
}
