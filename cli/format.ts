/** Pure formatting for the command-line tool: tables, config diffs, tail lines. No I/O. */

export interface Colors {
  red: (s: string) => string;
  green: (s: string) => string;
  yellow: (s: string) => string;
  dim: (s: string) => string;
  bold: (s: string) => string;
}

const plain = (s: string) => s;
export const NO_COLORS: Colors = { red: plain, green: plain, yellow: plain, dim: plain, bold: plain };
export const ANSI_COLORS: Colors = {
  red: (s) => `\x1b[31m${s}\x1b[0m`,
  green: (s) => `\x1b[32m${s}\x1b[0m`,
  yellow: (s) => `\x1b[33m${s}\x1b[0m`,
  dim: (s) => `\x1b[2m${s}\x1b[0m`,
  bold: (s) => `\x1b[1m${s}\x1b[0m`,
};

// eslint-disable-next-line no-control-regex
const visibleLength = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;

/** A left-aligned text table with a header row. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const line = (cells: string[]) => cells.map((c, i) => c + " ".repeat(widths[i]! - visibleLength(c))).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function show(value: unknown): string {
  if (value === undefined) return "(unset)";
  return JSON.stringify(value);
}

/**
 * Field-level differences between two configs, as readable lines: `percent: 10 → 25`; arrays of
 * strings (allowlists, hosts) as added/removed entries.
 */
export function diffConfig(before: unknown, after: unknown, path = ""): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffConfig(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && [...before, ...after].every((v) => typeof v === "string")) {
    const was = new Set(before as string[]);
    const now = new Set(after as string[]);
    const added = [...now].filter((v) => !was.has(v));
    const removed = [...was].filter((v) => !now.has(v));
    const summary = (list: string[]) => (list.length > 5 ? `${list.slice(0, 5).join(", ")} and ${list.length - 5} more` : list.join(", "));
    const parts = [added.length ? `+${added.length} (${summary(added)})` : "", removed.length ? `-${removed.length} (${summary(removed)})` : ""].filter(Boolean);
    return [`${path}: ${parts.join(" ") || "reordered"}`];
  }
  return [`${path}: ${show(before)} → ${show(after)}`];
}

/** Our proxy log line, wherever it is found in `wrangler tail --format json` output (or raw). */
export function extractProxyLines(line: string): Array<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return [];
  }
  const out: Array<Record<string, unknown>> = [];
  const consider = (value: unknown) => {
    if (typeof value === "string") {
      try {
        consider(JSON.parse(value));
      } catch {
        /* not ours */
      }
      return;
    }
    if (value && typeof value === "object" && !Array.isArray(value) && (value as { event?: unknown }).event === "proxy") out.push(value as Record<string, unknown>);
  };
  if (parsed && typeof parsed === "object" && Array.isArray((parsed as { logs?: unknown }).logs)) {
    for (const log of (parsed as { logs: Array<{ message?: unknown[] }> }).logs) for (const m of log.message ?? []) consider(m);
  } else {
    consider(parsed);
  }
  return out;
}

/** One readable line per proxied request. */
export function formatTailLine(entry: Record<string, unknown>, c: Colors, at?: Date): string {
  const status = Number(entry.status);
  const statusText = status >= 500 || status === 0 ? c.red(String(status || "ERR")) : status >= 400 ? c.yellow(String(status)) : String(status);
  const variant = entry.variant === "new" ? c.green("new   ") : c.yellow("legacy");
  const time = (at ?? new Date()).toISOString().slice(11, 23);
  const extra = [entry.retriedOnLegacy ? c.red("retried-on-legacy") : "", entry.stale ? c.yellow("stale-config") : "", entry.error ? c.red(String(entry.error)) : ""].filter(Boolean).join(" ");
  const bucket = entry.bucket !== null && entry.bucket !== undefined ? ` ${entry.bucket}<${entry.threshold}` : "";
  return `${c.dim(time)} ${String(entry.rollout ?? "-").padEnd(14)} ${variant} ${String(entry.reason).padEnd(10)}${bucket.padEnd(11)} ${statusText} ${String(entry.latencyMs).padStart(5)} ms ${entry.method ?? ""} ${entry.path ?? ""}${extra ? ` ${extra}` : ""}`;
}

export function percent(x: number | null | undefined): string {
  return x === null || x === undefined ? "-" : `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;
}

export function millis(x: number | null | undefined): string {
  return x === null || x === undefined ? "-" : x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}
