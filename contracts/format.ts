/**
 * How every part of edge-router writes numbers for people: guard verdicts and audit reasons, the
 * CLI, the dashboard. One definition each, so the same number reads the same everywhere. No I/O.
 */

/** A rate as a percentage: 0.0333 → "3.3%"; below 1% two decimals (0.0004 → "0.04%"); null → `empty`. */
export function rate(x: number | null | undefined, empty = "-"): string {
  if (x === null || x === undefined) return empty;
  return `${(x * 100).toFixed(x !== 0 && Math.abs(x) < 0.01 ? 2 : 1)}%`;
}

/** Milliseconds: 3.14 → "3.1 ms", 240.6 → "241 ms"; null → `empty`. */
export function millis(x: number | null | undefined, empty = "-"): string {
  if (x === null || x === undefined) return empty;
  return Math.abs(x) < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}

/** A count with thousands separators: 1204 → "1,204". */
export const count = (n: number): string => n.toLocaleString("en-US");

/** A duration: under two minutes in seconds, under two hours in minutes, then hours ("1.5 h"). */
export function span(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** A ratio as a multiple, up to two decimals: 1.2 → "1.2×", 3 → "3×", 1.256 → "1.26×". */
export const times = (x: number): string => `${Number(x.toFixed(2))}×`;
