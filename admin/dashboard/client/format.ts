/**
 * How the dashboard writes numbers, times and audit changes. Pure: `now` (ms since the epoch) is
 * passed in; no DOM.
 */
import { millis, rate } from "../../../contracts/format";
import type { AuditEntry } from "./wire";

const DASH = "–";

/** 0.0123 → "1.2%"; below 1% keeps two decimals (0.0012 → "0.12%"); null → "–". */
export const pct = (value: number | null | undefined): string => rate(value, DASH);

/** Latency: one decimal below 10 ms, whole milliseconds above; null → "–". */
export const ms = (value: number | null | undefined): string => millis(value, DASH);

/** "12 s ago", "5 min ago", or the local date and time past an hour; "" without a time. */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return "";
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 60) return `${s} s ago`;
  return s < 3600 ? `${Math.round(s / 60)} min ago` : new Date(iso).toLocaleString();
}

/** Time left until `iso`: seconds under two minutes, then minutes; never negative. */
export function until(iso: string | null | undefined, now: number): string {
  if (!iso) return "";
  const s = Math.max(0, Math.round((Date.parse(iso) - now) / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function show(v: unknown): string {
  if (v === undefined) return DASH;
  return typeof v === "object" ? "…" : String(v);
}

/**
 * What an audit entry changed, in one line: the top-level fields that differ, before → after
 * (objects shown as "…").
 * @example describeChange({ action: "patch", before: { percent: 10 }, after: { percent: 25 }, ... }) === "percent: 10 → 25"
 */
export function describeChange(e: Pick<AuditEntry, "action" | "before" | "after">): string {
  if (e.action === "kill-all") return "global kill switch on";
  if (e.action === "resume-all") return "global kill switch off";
  if (!e.before) return "created";
  if (!e.after) return "deleted";
  const before = isRecord(e.before) ? e.before : {};
  const after = isRecord(e.after) ? e.after : {};
  const changes: string[] = [];
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) changes.push(`${k}: ${show(before[k])} → ${show(after[k])}`);
  }
  return changes.join(", ") || "no change";
}
