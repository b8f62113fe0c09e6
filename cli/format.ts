/** Small text helpers for the tool's output: colours, aligned tables, numbers, times. No I/O. */
import { stripVTControlCharacters } from "node:util";
import { millis, rate } from "../contracts/format";

export interface Colors {
  enabled: boolean;
  red: (s: string) => string;
  green: (s: string) => string;
  yellow: (s: string) => string;
  cyan: (s: string) => string;
  dim: (s: string) => string;
  bold: (s: string) => string;
}

const plain = (s: string) => s;
export const NO_COLORS: Colors = { enabled: false, red: plain, green: plain, yellow: plain, cyan: plain, dim: plain, bold: plain };

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
export const ANSI_COLORS: Colors = {
  enabled: true,
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
  dim: sgr(2, 22),
  bold: sgr(1, 22),
};

/**
 * Colours when writing to a terminal, unless NO_COLOR is set (https://no-color.org) or --no-color
 * is given; FORCE_COLOR=1 turns them on anyway (e.g. through `less -R`).
 */
export function pickColors(isTTY: boolean, env: Record<string, string | undefined>, noColorFlag: boolean): Colors {
  if (noColorFlag || env.NO_COLOR) return NO_COLORS;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return ANSI_COLORS;
  return isTTY ? ANSI_COLORS : NO_COLORS;
}

export const visibleLength = (s: string) => stripVTControlCharacters(s).length;
export const padEnd = (s: string, width: number) => s + " ".repeat(Math.max(0, width - visibleLength(s)));
export const padStart = (s: string, width: number) => " ".repeat(Math.max(0, width - visibleLength(s))) + s;

/**
 * A text table: a header row, then rows, columns two spaces apart; `right` lists the columns that
 * hold numbers (aligned right). Colour codes do not count towards widths.
 */
export function table(header: string[], rows: string[][], right: number[] = []): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? padStart(c, widths[i]!) : i === cells.length - 1 ? c : padEnd(c, widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** A ratio as a percentage: 0.0333 → "3.3%", 0.0004 → "0.04%", null → "-". */
export const ratio = (x: number | null | undefined) => rate(x);

/** A rollout percentage as configured: 10 → "10%", 37.5 → "37.5%". */
export const pct = (x: number) => `${x}%`;

export { millis };

/** An ISO timestamp as "2026-11-22 16:01:02" (UTC). */
export function utc(iso: string | null | undefined): string {
  if (!iso) return "-";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 19).replace("T", " ");
}

/** A clock time "16:01:02.345" (UTC). */
export const clock = (d: Date) => d.toISOString().slice(11, 23);

/** How long until `iso` from `now`: "in 42 s", "in 12 min", "in 3.5 h", "now". */
export function until(iso: string | null | undefined, now: Date): string {
  if (!iso) return "";
  const ms = Date.parse(iso) - now.getTime();
  if (!Number.isFinite(ms)) return "";
  if (ms <= 0) return "now";
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `in ${s} s` : s < 7200 ? `in ${Math.round(s / 60)} min` : `in ${(s / 3600).toFixed(1)} h`;
}
