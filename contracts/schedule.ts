/**
 * A rollout's `schedule`: when it may start, and the local-time windows in which its stages may
 * advance (e.g. only at night, when traffic is low). The gate that reads it is
 * control/policy/schedule-gate.ts. No I/O.
 */
import * as z from "./zod";

/** Days of the week as a window lists them, Monday first (ISO 8601 order). */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Most advance windows one rollout may list. */
export const MAX_ADVANCE_WINDOWS = 20;

/** The time zone a window is read in when it names none. */
export const DEFAULT_TIME_ZONE = "UTC";

/**
 * Why `value` is not a usable time zone, or `undefined` when it is one. "UTC" is accepted
 * explicitly because `Intl.supportedValuesOf("timeZone")` does not list it; every other name is
 * tried on `Intl.DateTimeFormat`, the same zone database the gate reads local times from.
 */
export function timeZoneProblem(value: string): string | undefined {
  if (value === "UTC") return undefined;
  // Intl also takes fixed offsets ("+01:00"); they never follow daylight saving time, which is
  // rarely what an operator who names a place means. Etc/GMT-1 and friends remain for that.
  if (/^[+-]/.test(value)) return `must be an IANA time zone name such as Europe/Berlin, or UTC; a fixed offset like ${JSON.stringify(value)} ignores daylight saving time`;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return undefined;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return `unknown time zone ${JSON.stringify(value)}: use an IANA name such as Europe/Berlin or America/New_York, or UTC`;
  }
}

const TimeZone = z.string().check(
  z.superRefine((value, ctx) => {
    const problem = timeZoneProblem(value);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: value });
  }),
);

/** A wall-clock time, `HH:MM` on a 24-hour clock. */
const ClockTime = z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day HH:MM from 00:00 to 23:59"));

const Weekday = z.enum(WEEKDAYS, `must be a day of the week: ${WEEKDAYS.join(", ")}`);

const Days = z.array(Weekday).check(
  z.minLength(1, "needs at least one day"),
  z.superRefine((days, ctx) => {
    days.forEach((day, i) => {
      if (days.indexOf(day) !== i) ctx.issues.push({ code: "custom", message: `lists ${day} twice`, input: day, path: [i] });
    });
  }),
);

/**
 * A weekly window of local time. `to` is exclusive: a window 22:00–06:00 is open at 05:59 and
 * closed at 06:00. A window whose `from` is later than its `to` crosses midnight and belongs to
 * the day it starts on: `{ "days": ["fri"], "from": "22:00", "to": "06:00" }` runs from Friday
 * 22:00 to Saturday 06:00.
 *
 * @example { "days": ["mon", "tue", "wed", "thu", "fri"], "from": "22:00", "to": "06:00", "timeZone": "Europe/Berlin" }
 */
export const AdvanceWindowSchema = z
  .strictObject({
    days: Days,
    from: ClockTime,
    /** Exclusive. */
    to: ClockTime,
    /** An IANA time zone name, or "UTC". @default "UTC" */
    timeZone: z._default(TimeZone, DEFAULT_TIME_ZONE),
  })
  .check(
    z.refine((w) => w.from !== w.to, {
      message: "must differ from `from`: a window that ends when it starts could mean never or always. Leave advanceWindows out to advance at any time",
      path: ["to"],
    }),
  );

/**
 * When a rollout may start, and when its stages may advance. Both parts are optional: without
 * `startAt` it may start now; without `advanceWindows` it may advance at any time.
 *
 * @example { "startAt": "2025-06-02T20:00:00Z", "advanceWindows": [{ "days": ["mon", "tue", "wed", "thu", "fri"], "from": "22:00", "to": "06:00", "timeZone": "Europe/Berlin" }] }
 */
export const ScheduleSchema = z.strictObject({
  /** Nothing advances before this instant. Needs `Z` or an offset: a bare local time is ambiguous. */
  startAt: z.optional(z.iso.datetime({ offset: true, error: "must be an ISO-8601 date-time with Z or an offset, e.g. 2025-06-02T20:00:00Z" })),
  /** Stages advance only inside one of these windows. */
  advanceWindows: z.optional(
    z
      .array(AdvanceWindowSchema)
      .check(
        z.minLength(1, "needs at least one window; leave advanceWindows out to advance at any time"),
        z.maxLength(MAX_ADVANCE_WINDOWS, `at most ${MAX_ADVANCE_WINDOWS} windows`),
      ),
  ),
});

export type AdvanceWindow = z.infer<typeof AdvanceWindowSchema>;
export type Schedule = z.infer<typeof ScheduleSchema>;
export type ScheduleInput = z.input<typeof ScheduleSchema>;
