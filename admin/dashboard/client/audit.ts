/**
 * The audit log's rows: who did what to which rollout, what changed, and why. The actor is the
 * token's name; what X-Actor claimed follows it, dimmed, as the entry's note.
 */
import { h } from "./dom";
import { describeChange } from "./format";
import type { AuditEntry } from "./wire";

/** What an entry was about: its rollout, the segment a segment entry names, or every rollout. */
function subject(e: AuditEntry): string {
  if (e.rolloutId) return e.rolloutId;
  const named = [e.after, e.before].find((side): side is { name: string } => typeof side === "object" && side !== null && typeof (side as { name?: unknown }).name === "string");
  return e.action.startsWith("segment-") && named ? `segment ${named.name}` : "(all)";
}

/** One row per entry, newest first (as the API sends them). */
export function auditRows(entries: readonly AuditEntry[]): HTMLTableRowElement[] {
  return entries.map((e) =>
    h(
      "tr",
      {},
      h("td", {}, new Date(e.at).toLocaleString()),
      h("td", {}, e.actor, e.note ? h("span", { class: "muted" }, ` (${e.note})`) : null),
      h("td", {}, e.action),
      h("td", {}, subject(e)),
      h("td", {}, describeChange(e)),
      h("td", {}, e.reason ?? ""),
    ),
  );
}
