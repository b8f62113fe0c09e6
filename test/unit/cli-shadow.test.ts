/** `edge-router shadow <id>`: the command line, and how the report reads. */
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../cli/args";
import { formatShadow, isShadowReport } from "../../cli/commands/shadow";
import { NO_COLORS } from "../../cli/format";
import type { ShadowReport } from "../../contracts/admin-wire";
import { ShadowSchema } from "../../contracts/shadow";
import { newShadowAccumulator, recordShadow, shadowTotals, shadowView } from "../../contracts/shadow-stats";

/** A report as the API builds it, from 8 matches and 2 price differences under /api and 1 unanswered mirror under /. */
function report(percent = 5): ShadowReport {
  const acc = newShadowAccumulator();
  const facts = (i: number) => ({
    latencyMs: { legacy: 20 + i, new: 30 + i },
    at: `2026-11-22T16:0${i}:00.000Z`,
    method: "GET",
    path: `/api/items/${i}`,
    legacyStatus: 200,
    newStatus: 200,
  });
  for (let i = 0; i < 8; i++) recordShadow(acc, "cart", "/api", { kind: "match", ...facts(i) });
  for (let i = 0; i < 2; i++) recordShadow(acc, "cart", "/api", { kind: "body", pointer: "/items/2/price", legacyValue: "7.25", newValue: "8.25", ...facts(i) });
  recordShadow(acc, "cart", "/", { kind: "error" });
  const stats = acc.rollouts.cart!;
  return { rollout: "cart", now: "2026-11-22T16:10:00.000Z", windowSeconds: 300, totals: shadowTotals(stats), shadow: ShadowSchema.parse({ percent }), ...shadowView(stats) };
}

describe("edge-router shadow", () => {
  it("takes a rollout id and a window", () => {
    expect(parseArgs(["shadow", "cart", "--window", "600", "--json"])).toMatchObject({ command: { name: "shadow" }, args: ["cart"], values: { window: "600", json: "true" } });
  });

  it("shows the mismatch rate, a row per prefix and each example with its pointer and both values", () => {
    const r = report();
    expect(isShadowReport(r)).toBe(true);
    const text = formatShadow("cart", r, NO_COLORS);
    const lines = text.split("\n");
    expect(lines[0]).toBe("cart  shadow 5% of legacy users  last 300 s  20.0% mismatched (2 of 10 comparisons, 1 unanswered)");
    expect(lines[2]).toMatch(/^PREFIX\s+MIRRORED\s+MATCHED\s+DIFFERED\s+KINDS\s+UNANSWERED\s+MISMATCH\s+P95 LEGACY\s+P95 NEW$/);
    expect(lines[3]).toMatch(/^\/\s+1\s+0\s+0\s+-\s+1\s+-\s+-\s+-$/);
    expect(lines[4]).toMatch(/^\/api\s+10\s+8\s+2\s+body 2\s+0\s+20\.0%\s+\d+ ms\s+\d+ ms$/);
    expect(text).toContain("2026-11-22 16:01:00  GET /api/items/1  body /items/2/price\n    legacy 7.25\n    new    8.25");
  });

  it("says how to turn shadowing on for a rollout that mirrors nothing", () => {
    const none: ShadowReport = { ...report(), shadow: null, prefixes: [], examples: [], totals: { compared: 0, mismatched: 0, errors: 0, mismatchRate: null } };
    expect(formatShadow("cart", none, NO_COLORS)).toMatch(/mirrors no traffic: set "shadow": \{ "percent": 5 \}/);
    expect(formatShadow("cart", { ...report(), shadow: null }, NO_COLORS).split("\n")[0]).toMatch(/^cart {2}mirrors no traffic now {2}last 300 s/);
  });
});
