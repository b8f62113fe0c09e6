/** The audit log's rows: who did what to which rollout, what changed, and why. */
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
      h("td", {}, e.actor),
      h("td", {}, e.action),
      h("td", {}, e.rolloutId ?? "(all)"),
      h("td", {}, describeChange(e)),
      h("td", {}, e.reason ?? ""),
    ),
  );
}
