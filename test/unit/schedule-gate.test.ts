import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toFieldIssues } from "../../contracts/field-issues";
import { ScheduleSchema, WEEKDAYS, type ScheduleInput, type Weekday } from "../../contracts/schedule";
import { scheduleGate } from "../../control/policy/schedule-gate";

// Instants are written with their local offset, as a calendar shows them: independent of the gate.
const at = (iso: string) => Date.parse(iso);
const schedule = (input: ScheduleInput) => ScheduleSchema.parse(input);
const windows = (...w: ScheduleInput["advanceWindows"] & object) => schedule({ advanceWindows: w });
const weeknightsBerlin = windows({ days: ["mon", "tue", "wed", "thu", "fri"], from: "22:00", to: "06:00", timeZone: "Europe/Berlin" });
const everyDay = [...WEEKDAYS];

function refusals(input: unknown) {
  const result = ScheduleSchema.safeParse(input);
  expect(result.success).toBe(false);
  return toFieldIssues(result.error!);
}

describe("schedule contract", () => {
  const w: { days: Weekday[]; from: string; to: string } = { days: ["mon"], from: "22:00", to: "06:00" };

  it("refuses an unknown time zone at its field, naming it", () => {
    const [issue, ...rest] = refusals({ advanceWindows: [{ ...w, timeZone: "Mars/Olympus_Mons" }] });
    expect(rest).toEqual([]);
    expect(issue!.pointer).toBe("/advanceWindows/0/timeZone");
    expect(issue!.message).toContain('"Mars/Olympus_Mons"');
  });

  it("refuses a fixed offset, which would ignore daylight saving time", () => {
    expect(refusals({ advanceWindows: [w, { ...w, timeZone: "+01:00" }] })).toEqual([{ pointer: "/advanceWindows/1/timeZone", message: expect.stringMatching(/daylight saving/) }]);
  });

  it("accepts UTC explicitly and reads a window without a zone as UTC", () => {
    expect(schedule({ advanceWindows: [{ ...w, timeZone: "UTC" }, w] }).advanceWindows!.map((x) => x.timeZone)).toEqual(["UTC", "UTC"]);
  });

  it("refuses a window that ends when it starts, and says why", () => {
    expect(refusals({ advanceWindows: [{ ...w, to: "22:00" }] })).toEqual([{ pointer: "/advanceWindows/0/to", message: expect.stringMatching(/never or always/) }]);
  });

  it("refuses empty, repeated and misspelt days at the exact entry", () => {
    expect(refusals({ advanceWindows: [{ ...w, days: [] }] }).map((i) => i.pointer)).toEqual(["/advanceWindows/0/days"]);
    expect(refusals({ advanceWindows: [w, { ...w, days: ["mon", "tue", "mon"] }] })).toEqual([{ pointer: "/advanceWindows/1/days/2", message: "lists mon twice" }]);
    expect(refusals({ advanceWindows: [{ ...w, days: ["Mon"] }] }).map((i) => i.pointer)).toEqual(["/advanceWindows/0/days/0"]);
  });

  it("refuses times outside 00:00–23:59", () => {
    expect(refusals({ advanceWindows: [{ ...w, from: "24:00" }] }).map((i) => i.pointer)).toEqual(["/advanceWindows/0/from"]);
    expect(refusals({ advanceWindows: [{ ...w, to: "6:00" }] }).map((i) => i.pointer)).toEqual(["/advanceWindows/0/to"]);
  });

  it("refuses no windows and more than 20", () => {
    expect(refusals({ advanceWindows: [] }).map((i) => i.pointer)).toEqual(["/advanceWindows"]);
    expect(refusals({ advanceWindows: Array(21).fill(w) }).map((i) => i.pointer)).toEqual(["/advanceWindows"]);
    expect(schedule({ advanceWindows: Array(20).fill(w) }).advanceWindows).toHaveLength(20);
  });

  it("refuses a start time without a zone, and unknown fields", () => {
    expect(refusals({ startAt: "2025-06-01T22:00:00" }).map((i) => i.pointer)).toEqual(["/startAt"]);
    expect(refusals({ advanceWindows: [{ ...w, tz: "UTC" }] })).toEqual([{ pointer: "/advanceWindows/0", message: "unknown field: tz" }]);
  });
});

describe("scheduleGate: advance windows", () => {
  it("is closed on a Monday afternoon in Berlin and says when the weeknight window opens", () => {
    expect(scheduleGate(weeknightsBerlin, at("2025-06-02T19:00:00+02:00"))).toEqual({
      open: false,
      opensAt: at("2025-06-02T22:00:00+02:00"),
      reason: "waiting for the advance window mon–fri 22:00–06:00 Europe/Berlin: opens in 3 h, at 2025-06-02 22:00 Europe/Berlin",
    });
  });

  it("opens at exactly `from` and closes at exactly `to` (exclusive)", () => {
    expect(scheduleGate(weeknightsBerlin, at("2025-06-02T21:59:59.999+02:00"))).toMatchObject({ open: false, opensAt: at("2025-06-02T22:00:00+02:00") });
    expect(scheduleGate(weeknightsBerlin, at("2025-06-02T22:00:00+02:00"))).toEqual({ open: true });
    expect(scheduleGate(weeknightsBerlin, at("2025-06-03T05:59:59.999+02:00"))).toEqual({ open: true });
    expect(scheduleGate(weeknightsBerlin, at("2025-06-03T06:00:00+02:00"))).toMatchObject({ open: false, opensAt: at("2025-06-03T22:00:00+02:00") });
  });

  it("keeps Friday's window open past midnight into Saturday, then waits for Monday night", () => {
    expect(scheduleGate(weeknightsBerlin, at("2025-06-07T03:00:00+02:00"))).toEqual({ open: true });
    expect(scheduleGate(weeknightsBerlin, at("2025-06-07T06:00:00+02:00"))).toMatchObject({ open: false, opensAt: at("2025-06-09T22:00:00+02:00") });
  });

  it("stays closed early on Monday: those hours belong to Sunday's window, which is not listed", () => {
    expect(scheduleGate(weeknightsBerlin, at("2025-06-02T01:00:00+02:00"))).toMatchObject({ open: false, opensAt: at("2025-06-02T22:00:00+02:00") });
  });

  it("reads the day of the week in the window's zone: 23:30 Sunday in Los Angeles is Monday in UTC", () => {
    const now = at("2025-06-01T23:30:00-07:00");
    expect(new Date(now).getUTCDay()).toBe(1);
    const mondayLA = windows({ days: ["mon"], from: "00:00", to: "12:00", timeZone: "America/Los_Angeles" });
    expect(scheduleGate(mondayLA, now)).toMatchObject({ open: false, opensAt: at("2025-06-02T00:00:00-07:00") });
    expect(scheduleGate(windows({ days: ["sun"], from: "23:00", to: "23:59", timeZone: "America/Los_Angeles" }), now)).toEqual({ open: true });
  });

  it("takes the window that opens first among several", () => {
    const two = windows({ days: ["sat"], from: "10:00", to: "12:00" }, { days: ["tue"], from: "09:00", to: "10:00", timeZone: "Asia/Tokyo" });
    expect(scheduleGate(two, at("2025-06-02T12:00:00Z"))).toMatchObject({
      open: false,
      opensAt: at("2025-06-03T09:00:00+09:00"),
      reason: expect.stringContaining("tue 09:00–10:00 Asia/Tokyo"),
    });
  });
});

describe("scheduleGate: daylight saving time", () => {
  it("Berlin spring forward: a window from 02:30, which does not exist that day, opens at 03:00 CEST", () => {
    const night = windows({ days: everyDay, from: "02:30", to: "04:00", timeZone: "Europe/Berlin" });
    expect(scheduleGate(night, at("2025-03-30T01:00:00+01:00"))).toMatchObject({ open: false, opensAt: at("2025-03-30T03:00:00+02:00") });
    expect(scheduleGate(night, at("2025-03-30T03:00:00+02:00"))).toEqual({ open: true });
    expect(scheduleGate(night, at("2025-03-30T04:00:00+02:00"))).toMatchObject({ open: false, opensAt: at("2025-03-31T02:30:00+02:00") });
  });

  it("Berlin spring forward: Saturday's 22:00–06:00 window ends at 06:00 CEST, a 7-hour night", () => {
    const sat = windows({ days: ["sat"], from: "22:00", to: "06:00", timeZone: "Europe/Berlin" });
    expect(scheduleGate(sat, at("2025-03-29T21:59:00+01:00"))).toMatchObject({ opensAt: at("2025-03-29T22:00:00+01:00") });
    expect(scheduleGate(sat, at("2025-03-30T05:59:00+02:00"))).toEqual({ open: true });
    expect(scheduleGate(sat, at("2025-03-30T06:00:00+02:00"))).toMatchObject({ open: false, opensAt: at("2025-04-05T22:00:00+02:00") });
  });

  it("Berlin fall back: Saturday's 22:00–06:00 window ends at 06:00 CET, a 9-hour night", () => {
    const sat = windows({ days: ["sat"], from: "22:00", to: "06:00", timeZone: "Europe/Berlin" });
    expect(scheduleGate(sat, at("2025-10-26T05:30:00+01:00"))).toEqual({ open: true });
    expect(scheduleGate(sat, at("2025-10-26T06:00:00+01:00"))).toMatchObject({ open: false, opensAt: at("2025-11-01T22:00:00+01:00") });
  });

  it("Berlin fall back: a time that occurs twice means its first occurrence", () => {
    const twice = windows({ days: ["sun"], from: "02:30", to: "05:00", timeZone: "Europe/Berlin" });
    expect(scheduleGate(twice, at("2025-10-26T00:00:00+02:00"))).toMatchObject({ opensAt: at("2025-10-26T02:30:00+02:00") });
  });

  it("New York spring forward: a window from 02:00 opens at 03:00 EDT; Monday's opens at 09:00 EDT", () => {
    const sun = windows({ days: ["sun"], from: "02:00", to: "04:00", timeZone: "America/New_York" });
    expect(scheduleGate(sun, at("2025-03-09T00:00:00-05:00"))).toMatchObject({ opensAt: at("2025-03-09T03:00:00-04:00") });
    expect(scheduleGate(sun, at("2025-03-09T04:00:00-04:00"))).toMatchObject({ open: false, opensAt: at("2025-03-16T02:00:00-04:00") });
    const mon = windows({ days: ["mon"], from: "09:00", to: "10:00", timeZone: "America/New_York" });
    expect(scheduleGate(mon, at("2025-03-08T12:00:00-05:00"))).toMatchObject({
      opensAt: at("2025-03-10T09:00:00-04:00"),
      reason: expect.stringMatching(/opens in 44 h, at 2025-03-10 09:00 America\/New_York$/),
    });
  });

  it("New York fall back: Sunday's 00:00–03:00 window lasts 4 hours and closes at 03:00 EST", () => {
    const sun = windows({ days: ["sun"], from: "00:00", to: "03:00", timeZone: "America/New_York" });
    expect(scheduleGate(sun, at("2025-11-01T23:59:59-04:00"))).toMatchObject({ opensAt: at("2025-11-02T00:00:00-04:00") });
    expect(scheduleGate(sun, at("2025-11-02T02:59:59-05:00"))).toEqual({ open: true });
    expect(scheduleGate(sun, at("2025-11-02T03:00:00-05:00"))).toMatchObject({ open: false });
  });
});

describe("scheduleGate: startAt", () => {
  it("is open without a schedule, with an empty one, and after a past startAt", () => {
    expect(scheduleGate(undefined, at("2025-06-01T00:00:00Z"))).toEqual({ open: true });
    expect(scheduleGate({}, at("2025-06-01T00:00:00Z"))).toEqual({ open: true });
    expect(scheduleGate({ startAt: "2025-05-01T00:00:00Z" }, at("2025-06-01T00:00:00Z"))).toEqual({ open: true });
  });

  it("waits for a future startAt, then opens at exactly that instant", () => {
    const s = schedule({ startAt: "2025-06-01T12:00:00+02:00" });
    expect(scheduleGate(s, at("2025-06-01T08:00:00Z"))).toEqual({
      open: false,
      opensAt: at("2025-06-01T10:00:00Z"),
      reason: "scheduled to start at 2025-06-01T12:00:00+02:00 (in 2 h)",
    });
    expect(scheduleGate(s, at("2025-06-01T10:00:00Z"))).toEqual({ open: true });
  });

  it("opens at startAt when it falls inside a window, else at the first window after it", () => {
    const inside = { ...weeknightsBerlin, startAt: "2025-06-02T23:00:00+02:00" };
    expect(scheduleGate(inside, at("2025-06-02T12:00:00+02:00"))).toMatchObject({ open: false, opensAt: at("2025-06-02T23:00:00+02:00") });
    const before = { ...weeknightsBerlin, startAt: "2025-06-06T12:00:00+02:00" };
    expect(scheduleGate(before, at("2025-06-02T23:00:00+02:00"))).toMatchObject({
      open: false,
      opensAt: at("2025-06-06T22:00:00+02:00"),
      reason: expect.stringMatching(/^scheduled to start at 2025-06-06T12:00:00\+02:00 \(in 3\.5 days\), then waiting for the advance window mon–fri/),
    });
  });
});

describe("scheduleGate against a brute-force model", () => {
  const MONDAY = Date.UTC(2024, 11, 30);
  const mod = (a: number, n: number) => ((a % n) + n) % n;
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  const arbWindow = fc
    .record({ days: fc.subarray([...WEEKDAYS], { minLength: 1 }), from: fc.integer({ min: 0, max: 1439 }), to: fc.integer({ min: 0, max: 1439 }) })
    .filter((w) => w.from !== w.to)
    .map((w) => ({ days: w.days, from: hhmm(w.from), to: hhmm(w.to) }));
  const arbNow = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2026, 0, 1) });

  // Zones without daylight saving time, with their fixed offset in minutes.
  const fixedZone = fc.constantFrom(["UTC", 0], ["Asia/Tokyo", 540], ["Asia/Kolkata", 330], ["America/Phoenix", -420], ["Pacific/Honolulu", -600]) as fc.Arbitrary<
    [string, number]
  >;

  it("matches minute-of-week arithmetic in zones with a fixed offset: open exactly inside a window, opensAt the first minute that is", () => {
    expect(new Date(MONDAY).getUTCDay()).toBe(1);
    const inWindow = (ws: { days: string[]; from: string; to: string }[], offset: number, t: number) => {
      const m = mod(Math.floor((t - MONDAY) / 60_000) + offset, 7 * 1440);
      return ws.some((w) => w.days.some((d) => mod(m - (WEEKDAYS.indexOf(d as never) * 1440 + minutes(w.from)), 7 * 1440) < mod(minutes(w.to) - minutes(w.from), 1440)));
    };
    fc.assert(
      fc.property(fc.array(arbWindow, { minLength: 1, maxLength: 3 }), fixedZone, arbNow, (ws, [timeZone, minutesAhead], now) => {
        const gate = scheduleGate(windows(...ws.map((w) => ({ ...w, timeZone }))), now);
        expect(gate.open).toBe(inWindow(ws, minutesAhead, now));
        if (gate.open) return;
        let t = Math.ceil(now / 60_000) * 60_000;
        while (!inWindow(ws, minutesAhead, t)) t += 60_000;
        expect(gate.opensAt).toBe(t);
      }),
      { numRuns: 200 },
    );
  });

  it("in zones with daylight saving time, is open at opensAt and closed just before it", () => {
    const zone = fc.constantFrom("Europe/Berlin", "America/New_York", "America/Los_Angeles", "Australia/Sydney");
    fc.assert(
      fc.property(arbWindow, zone, arbNow, (w, timeZone, now) => {
        const s = windows({ ...w, timeZone });
        const gate = scheduleGate(s, now);
        if (gate.open) return;
        expect(gate.opensAt).toBeGreaterThan(now);
        expect(scheduleGate(s, gate.opensAt!)).toEqual({ open: true });
        expect(scheduleGate(s, gate.opensAt! - 1).open).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
