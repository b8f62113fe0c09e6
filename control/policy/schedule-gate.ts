/**
 * The schedule gate: may a rollout advance at `now`, and if not, why and when it may. Reads a
 * rollout's `schedule` (contracts/schedule.ts). Pure: no I/O, no clock; local times come from
 * the zone database behind `Intl.DateTimeFormat` (the same in Node and workerd).
 *
 * Local times are resolved the way a wall clock reads them, so windows keep their local hours
 * across daylight-saving changes:
 * - a time that does not exist (skipped by a spring-forward change) starts at the first valid
 *   instant after it, the moment the clock jumps (02:30 in Berlin on 2025-03-30 → 03:00 CEST);
 * - a time that occurs twice (repeated by a fall-back change) means its first occurrence, for
 *   `from` and `to` alike: a window lasts from the clock first showing `from` to the clock first
 *   showing `to`.
 */
import { WEEKDAYS, type AdvanceWindow, type Schedule } from "../../contracts/schedule";

/** How far ahead the gate looks for the next opening. Every window recurs weekly, so 8 days always reaches one. */
export const OPENING_SEARCH_DAYS = 8;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type GateResult = { open: true } | { open: false; reason: string; opensAt: number | null };

const OPEN: GateResult = { open: true };

// Building a formatter is far slower than using one; the cache holds only immutable formatters.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    const numeric = "numeric" as const;
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: numeric, month: numeric, day: numeric, hour: numeric, minute: numeric, second: numeric });
    formatters.set(timeZone, f);
  }
  return f;
}

/** What the wall clock in `timeZone` shows at instant `t`, as milliseconds read as if UTC (whole seconds). */
function wallClock(t: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(t);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
}

function offsetAt(t: number, timeZone: string): number {
  return wallClock(t, timeZone) - Math.floor(t / SECOND) * SECOND;
}

/**
 * The instant the wall clock in `timeZone` first shows `wall` (milliseconds read as if UTC); in a
 * spring-forward gap, the instant the clock jumps over it.
 */
export function instantOfLocal(wall: number, timeZone: string): number {
  // Offsets either side of any change near `wall`: real offsets stay within ±14 h.
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const valid = [wall - before, wall - after].filter((t) => wallClock(t, timeZone) === wall);
  if (valid.length) return Math.min(...valid);
  if (after <= before) return wall - after; // not a gap: an offset history this code does not model
  // In the gap: the jump lies between the two candidates. Find its first second.
  let lo = wall - after;
  let hi = wall - before;
  while (hi - lo > SECOND) {
    const mid = lo + Math.floor((hi - lo) / 2 / SECOND) * SECOND;
    if (offsetAt(mid, timeZone) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The earliest instant at or after `t` inside `w`, searching `OPENING_SEARCH_DAYS` ahead; null if none. */
function windowOpening(w: AdvanceWindow, t: number): number | null {
  const today = Math.floor(wallClock(t, w.timeZone) / DAY);
  const from = minutesOf(w.from) * MINUTE;
  const to = minutesOf(w.to) * MINUTE + (w.to < w.from ? DAY : 0);
  // From yesterday: a window that crosses midnight may have started then.
  for (let day = today - 1; day <= today + OPENING_SEARCH_DAYS; day++) {
    const midnight = day * DAY;
    const weekday = WEEKDAYS[(new Date(midnight).getUTCDay() + 6) % 7]!;
    if (!w.days.includes(weekday)) continue;
    const start = instantOfLocal(midnight + from, w.timeZone);
    const end = instantOfLocal(midnight + to, w.timeZone);
    if (end <= t || end <= start) continue; // over, or wholly inside a spring-forward gap
    const opening = Math.max(start, t);
    return opening <= t + OPENING_SEARCH_DAYS * DAY ? opening : null;
  }
  return null;
}

/** The earliest instant at or after `t` inside any window, and that window; null if none within the search. */
export function nextOpening(windows: readonly AdvanceWindow[], t: number): { at: number; window: AdvanceWindow } | null {
  let best: { at: number; window: AdvanceWindow } | null = null;
  for (const window of windows) {
    const at = windowOpening(window, t);
    if (at !== null && (!best || at < best.at)) best = { at, window };
  }
  return best;
}

/** `["mon", …, "fri"]` → "mon–fri"; `["sat", "sun"]` → "sat, sun"; all seven → "every day". */
export function formatDays(days: readonly string[]): string {
  if (days.length === WEEKDAYS.length) return "every day";
  const indexes = WEEKDAYS.flatMap((d, i) => (days.includes(d) ? [i] : []));
  const runs: string[] = [];
  let first = 0;
  indexes.forEach((index, k) => {
    if (indexes[k + 1] === index + 1) return;
    const run = WEEKDAYS.slice(indexes[first], index + 1);
    runs.push(run.length >= 3 ? `${run[0]}–${run[run.length - 1]}` : run.join(", "));
    first = k + 1;
  });
  return runs.join(", ");
}

/** "mon–fri 22:00–06:00 Europe/Berlin" */
export function formatWindow(w: AdvanceWindow): string {
  return `${formatDays(w.days)} ${w.from}–${w.to} ${w.timeZone}`;
}

/** A wait as an operator reads it: "45 s", "12 min", "3 h", "2.5 days". */
export function formatWait(ms: number): string {
  const s = Math.ceil(ms / SECOND);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Number((s / 3600).toFixed(1))} h`;
  return `${Number((s / 86400).toFixed(1))} days`;
}

/** "2025-06-02 22:00 Europe/Berlin": an instant on the wall clock of the window that opens then. */
function localTime(t: number, timeZone: string): string {
  return `${new Date(wallClock(t, timeZone)).toISOString().slice(0, 16).replace("T", " ")} ${timeZone}`;
}

function windowWait(windows: readonly AdvanceWindow[], next: { at: number; window: AdvanceWindow } | null, now: number): string {
  if (!next) return `no advance window (${windows.map(formatWindow).join("; ")}) opens within ${OPENING_SEARCH_DAYS} days`;
  return `waiting for the advance window ${formatWindow(next.window)}: opens in ${formatWait(next.at - now)}, at ${localTime(next.at, next.window.timeZone)}`;
}

/**
 * Whether a rollout with `schedule` may advance at `now`. Closed before `startAt` (a past
 * `startAt` means now) and, when `advanceWindows` are set, outside all of them. A closed gate
 * says why, and `opensAt`: the next instant it opens (ms), or null if none within
 * `OPENING_SEARCH_DAYS` of the later of `now` and `startAt`.
 *
 * @example
 * scheduleGate({ advanceWindows: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "22:00", to: "06:00", timeZone: "Europe/Berlin" }] }, Date.parse("2025-06-02T17:00:00Z"))
 * // { open: false, opensAt: Date.parse("2025-06-02T20:00:00Z"),
 * //   reason: "waiting for the advance window mon–fri 22:00–06:00 Europe/Berlin: opens in 3 h, at 2025-06-02 22:00 Europe/Berlin" }
 */
export function scheduleGate(schedule: Schedule | undefined, now: number): GateResult {
  const startAt = schedule?.startAt ? Date.parse(schedule.startAt) : -Infinity;
  const windows = schedule?.advanceWindows ?? [];
  const from = Math.max(now, startAt);
  const next = windows.length ? nextOpening(windows, from) : null;
  const opensAt = windows.length ? (next?.at ?? null) : from;
  if (opensAt === now) return OPEN;
  if (now >= startAt) return { open: false, reason: windowWait(windows, next, now), opensAt };

  const start = `scheduled to start at ${schedule!.startAt} (in ${formatWait(startAt - now)})`;
  if (opensAt === startAt) return { open: false, reason: start, opensAt };
  return { open: false, reason: `${start}, then ${windowWait(windows, next, now)}`, opensAt };
}
