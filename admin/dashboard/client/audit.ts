/**
 * The audit log's rows: who did what to which rollout, what changed, and why. The actor is the
 * token's name; what X-Actor claimed follows it, dimmed, as the entry's note.
 */
import { h } from "./dom";
import { describeChange } from "./format";
import type { AuditEntry } from "./wire";

/** One row per entry, newest first (as the API sends them). */
export function auditRows(entries: readonly AuditEntry[]): HTMLTableRowElement[] {
  return entries.map((e) =>
    h(
      "tr",
      {},
      h("td", {}, new Date(e.at).toLocaleString()),
      h("td", {}, e.actor, e.note ? h("span", { class: "muted" }, ` (${e.note})`) : null),
      h("td", {}, e.action),
      h("td", {}, e.rolloutId ?? "(all)"),
      h("td", {}, describeChange(e)),
      h("td", {}, e.reason ?? ""),
    ),
  );
}
