/** One rollout card: status, percentage and stage, where it routes, its health, and its buttons. */
import { describeCondition, ruleOutcome } from "../../../contracts/rule-text";
import { ROLLOUT_ACTIONS, type Action, type RolloutContext } from "./actions";
import { h } from "./dom";
import { ago, until } from "./format";
import { externalSection } from "./external";
import { chart, healthTable } from "./health";
import { shadowPanel } from "./shadow";
import type { HealthReport, RolloutView, ShadowReport } from "./wire";

/** What the card reports back to the page. */
export interface CardEvents {
  /** A button was pressed; `ctx` holds the card's state at that moment. */
  onAction(action: Action<RolloutContext>, ctx: RolloutContext): void;
  /** The "set %" field gained (true) or lost (false) focus: polling must not overwrite it meanwhile. */
  onEditing(editing: boolean): void;
}

/** "stage 1 of 3 (10%) · next in 4 min", or nothing for a rollout without stages. */
function stageLine(r: RolloutView, now: number): HTMLElement | null {
  const s = r.stage;
  if (!s) return null;
  const parts = [s.index >= 0 ? `stage ${s.index + 1} of ${s.count} (${s.percent}%)` : `before stage 1 of ${s.count}`];
  if (s.waiting) parts.push(s.waiting);
  if (r.approval) parts.push(`${r.approval.percent}% approved by ${r.approval.by}`);
  else if (s.nextDueAt && r.status === "live") parts.push(`next in ${until(s.nextDueAt, now)}`);
  return h("div", { class: "muted", "data-testid": "stage" }, parts.join(" · "));
}

function head(r: RolloutView, now: number): HTMLElement {
  return h(
    "div",
    { class: "row rollout-head" },
    h("h2", {}, r.id),
    h("span", { class: `badge ${r.status}`, "data-testid": "status" }, r.status),
    r.stage?.awaitingApproval && h("span", { class: "badge awaiting", "data-testid": "awaiting-approval" }, `awaiting approval for ${r.stage.nextPercent}%`),
    h("span", { class: "muted" }, `v${r.version} · ${r.updatedBy} · ${ago(r.updatedAt, now)}`),
  );
}

function percentBar(percent: number): HTMLElement {
  const fill = h("span");
  // CSSOM, not a style attribute: the CSP allows no inline style attributes.
  fill.style.width = `${percent}%`;
  return h(
    "div",
    { class: "row percent-row" },
    h("span", { class: "pct", "data-testid": "percent" }, `${percent}%`),
    h("div", { class: "bar", title: "share of users on new" }, fill),
  );
}

function routing(r: RolloutView): HTMLElement {
  const { match, origins } = r.config;
  const where = `${match.hosts.length ? match.hosts.join(", ") : "any host"} · ${match.pathPrefixes.join(", ")}`;
  return h("div", { class: "muted match" }, `${where} · legacy `, h("code", {}, origins.legacy), " · new ", h("code", {}, origins.new));
}

/** The targeting rules, read-only, in the order they are tried (the first that matches decides). */
function rules(r: RolloutView): HTMLElement | null {
  const list = r.config.rules;
  if (!list?.length) return null;
  const items = list.map((rule) =>
    h("li", { "data-rule": rule.name }, h("code", {}, rule.name), ` ${rule.when.map(describeCondition).join(" and ")} `, h("strong", {}, ruleOutcome(rule))),
  );
  return h(
    "div",
    { class: "rules", "data-testid": "rules" },
    h("span", { class: "muted" }, "targeting rules, first match decides (before the percentage):"),
    h("ol", {}, ...items),
  );
}

function buttons(r: RolloutView, events: CardEvents): HTMLElement {
  const input = h("input", { type: "number", min: 0, max: 100, step: 0.01, "data-field": "percent", value: r.config.percent });
  input.addEventListener("focus", () => events.onEditing(true));
  input.addEventListener("blur", () => events.onEditing(false));
  const shown = ROLLOUT_ACTIONS.filter((a) => a.shown({ rollout: r, percent: r.config.percent }));
  const actionButtons = shown.map((action) => {
    const button = h("button", { "data-action": action.id, class: action.style }, action.label);
    button.addEventListener("click", () => events.onAction(action, { rollout: r, percent: Number(input.value) }));
    return button;
  });
  return h("div", { class: "actions" }, h("label", { class: "row set-percent" }, "set % ", input), ...actionButtons);
}

/** A card for `r`; `health` and `shadow` are null when their reports could not be read (or it mirrors nothing). */
export function rolloutCard(r: RolloutView, health: HealthReport | null, shadow: ShadowReport | null, now: number, events: CardEvents): HTMLElement {
  const c = r.config;
  const card = h(
    "article",
    { class: "card", "data-rollout": r.id },
    head(r, now),
    c.description && h("p", { class: "muted description" }, c.description),
    r.killReason && r.status === "killed" && h("p", { class: "kill-reason" }, `Killed: ${r.killReason}`),
    percentBar(c.percent),
    stageLine(r, now),
    routing(r),
    rules(r),
    h("div", { class: "grid" }, h("div", {}, healthTable(health)), h("div", {}, chart(health?.series))),
    shadowPanel(shadow, now),
    externalSection(health?.external, now),
    buttons(r, events),
  );
  return card;
}
