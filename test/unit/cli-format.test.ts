import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { formatStatusTable } from "../../cli/commands/status";
import { formatHealth } from "../../cli/commands/watch";
import type { Health, RolloutList, RolloutView } from "../../cli/shapes";
import { describeConfig, diffConfig } from "../../cli/diff";
import { ANSI_COLORS, millis, NO_COLORS, pickColors, ratio, table, until, visibleLength } from "../../cli/format";
import { RolloutConfigSchema } from "../../contracts/rollout";

const config = (over: Record<string, unknown> = {}) =>
  RolloutConfigSchema.parse({ id: "checkout", origins: { legacy: "https://old.example", new: "https://new.example" }, ...over });

describe("config diff", () => {
  it("shows a changed field as before → after", () => {
    expect(diffConfig(config({ percent: 10 }), config({ percent: 25 }))).toEqual(["percent: 10 → 25"]);
  });

  it("summarizes list changes as added and removed entries, long lists shortened", () => {
    const many = Array.from({ length: 1207 }, (_, i) => `user-${i}`);
    expect(diffConfig(config({ allowlist: { new: ["a", "b"] } }), config({ allowlist: { new: ["b", "c", "d"] } }))).toEqual(["allowlist.new: +2 (c, d) -1 (a)"]);
    expect(diffConfig(config(), config({ allowlist: { new: many } }))).toEqual(["allowlist.new: +1,207 (user-0, user-1, user-2, user-3, user-4 and 1,202 more)"]);
    expect(diffConfig(config({ match: { pathPrefixes: ["/a", "/b"] } }), config({ match: { pathPrefixes: ["/b", "/a"] } }))).toEqual([
      'match.pathPrefixes: reordered ["/a","/b"] → ["/b","/a"]',
    ]);
  });

  it("names fields that appear or disappear, in the schema's order", () => {
    const guard = { maxErrorRate: 0.05 };
    const lines = diffConfig(config({ percent: 1, description: "x" }), config({ percent: 2, guard }));
    expect(lines).toEqual(['description: "x" → (unset)', "percent: 1 → 2", `guard: (unset) → ${JSON.stringify(RolloutConfigSchema.parse({ ...config(), guard }).guard)}`]);
  });

  it("gives no lines for equal configs", () => {
    expect(diffConfig(config({ percent: 5 }), config({ percent: 5 }))).toEqual([]);
  });

  it("describes a new rollout in a few lines", () => {
    expect(describeConfig(config({ percent: 5, match: { pathPrefixes: ["/checkout"] }, allowlist: { new: ["qa"] } }))).toEqual([
      "percent     5% on new",
      "match       any host, /checkout",
      "legacy      https://old.example",
      "new         https://new.example",
      "stickiness  header x-user-id, then the anonymous cookie",
      "salt        checkout (the id)",
      "allowlist   1 pinned to new, 0 to legacy",
    ]);
  });
});

describe("text helpers", () => {
  it("aligns table columns, numbers to the right, ignoring colour codes", () => {
    const rows = [
      [ANSI_COLORS.red("default"), "10%"],
      ["checkout-v2", "100%"],
    ];
    expect(stripVTControlCharacters(table(["ID", "PERCENT"], rows, [1]))).toBe("ID           PERCENT\ndefault          10%\ncheckout-v2     100%");
    expect(visibleLength(ANSI_COLORS.bold("abc"))).toBe(3);
  });

  it("formats ratios, milliseconds and time left", () => {
    expect([ratio(0.0333), ratio(0.0004), ratio(0), ratio(null)]).toEqual(["3.3%", "0.04%", "0.0%", "-"]);
    expect([millis(3.14), millis(240.6), millis(null)]).toEqual(["3.1 ms", "241 ms", "-"]);
    const now = new Date("2026-01-01T00:00:00Z");
    expect([until("2026-01-01T00:00:42Z", now), until("2026-01-01T00:12:00Z", now), until("2026-01-01T03:30:00Z", now), until("2025-12-31T00:00:00Z", now)]).toEqual([
      "in 42 s",
      "in 12 min",
      "in 3.5 h",
      "now",
    ]);
  });

  it("colours a terminal only, unless NO_COLOR or --no-color; FORCE_COLOR forces", () => {
    expect(pickColors(true, {}, false).enabled).toBe(true);
    expect(pickColors(false, {}, false).enabled).toBe(false);
    expect(pickColors(true, { NO_COLOR: "1" }, false).enabled).toBe(false);
    expect(pickColors(true, {}, true).enabled).toBe(false);
    expect(pickColors(false, { FORCE_COLOR: "1" }, false).enabled).toBe(true);
  });
});

const view = (over: Partial<RolloutView> & { config: RolloutView["config"] }): RolloutView => ({
  id: over.config.id,
  status: "live",
  version: 3,
  updatedAt: "2026-11-22T16:01:02.000Z",
  updatedBy: "alice",
  killReason: null,
  percentSince: "2026-11-22T16:01:02.000Z",
  paused: false,
  pauseReason: null,
  stage: null,
  ...over,
});

describe("status table", () => {
  const now = new Date("2026-11-22T16:05:00Z");
  const list: RolloutList = {
    version: 9,
    globalKill: { killed: false, reason: null, at: null, by: null },
    rollouts: [
      view({ config: config({ percent: 10 }) }),
      view({ config: { ...config({ id: "search" }), killed: true }, status: "killed", killReason: "5xx spike", version: 9 }),
      view({
        config: config({
          id: "cart",
          percent: 25,
          stages: [
            { percent: 25, holdSeconds: 600 },
            { percent: 50, holdSeconds: 600 },
          ],
        }),
        stage: {
          index: 0,
          count: 2,
          percent: 25,
          holdSeconds: 600,
          enteredAt: "2026-11-22T16:01:02.000Z",
          nextPercent: 50,
          nextDueAt: "2026-11-22T16:11:02.000Z",
          waiting: "holding",
        },
      }),
    ],
  };

  it("shows status, percent, stage, version, who and when, and why it is killed", () => {
    expect(formatStatusTable(list, NO_COLORS, now)).toBe(
      [
        "ID        STATUS  PERCENT  STAGE  VERSION  UPDATED (UTC)        BY     NOTE",
        "checkout  live        10%  -            3  2026-11-22 16:01:02  alice",
        "search    killed       0%  -            9  2026-11-22 16:01:02  alice  killed: 5xx spike",
        "cart      live        25%  1/2          3  2026-11-22 16:01:02  alice  next 50% in 6 min",
        "config version 9",
      ].join("\n"),
    );
  });

  it("puts the global kill switch above everything", () => {
    const killed = { ...list, globalKill: { killed: true, reason: "incident 4711", at: "2026-11-22T16:04:00.000Z", by: "bob" } };
    const text = formatStatusTable(killed, NO_COLORS, now);
    expect(text.split("\n")[0]).toBe('GLOBAL KILL SWITCH ON: every rollout goes to legacy ("incident 4711", by bob at 2026-11-22 16:04:00)');
    expect(text).toMatch(/^checkout .* global kill switch$/m);
  });
});

describe("watch frame", () => {
  it("shows both variants side by side, the verdict and its breaches", () => {
    const variant = (requests: number, errors: number, p: number, users: number) => ({
      requests,
      errors,
      clientErrors: 1,
      errorRate: requests ? errors / requests : null,
      p50: p,
      p95: p * 2,
      p99: p * 3,
      users,
      errorUsers: errors ? 3 : 0,
      errorIps: errors ? 2 : 0,
    });
    const health: Health = {
      rollout: "checkout",
      windowSeconds: 60,
      legacy: variant(900, 0, 12, 412),
      new: variant(100, 7, 40, 46),
      verdict: {
        status: "breach",
        summary: "new 7.0% errors over 100 requests",
        breaches: [{ limit: "maxErrorRate", threshold: 0.05, value: 0.07, baseline: 0, sentence: "error rate 7.0% > 5.0%" }],
      },
    };
    expect(formatHealth("checkout", health, NO_COLORS, new Date("2026-11-22T16:05:00Z"))).toBe(
      [
        "checkout  last 60 s  16:05:00 UTC",
        "",
        "VARIANT  REQUESTS  USERS  5XX  ERROR RATE  4XX    P50    P95     P99",
        "legacy        900    412    0        0.0%    1  12 ms  24 ms   36 ms",
        "new           100     46    7        7.0%    1  40 ms  80 ms  120 ms",
        "",
        "guard  breach: new 7.0% errors over 100 requests",
        "       ✗ error rate 7.0% > 5.0%",
      ].join("\n"),
    );
  });
});
