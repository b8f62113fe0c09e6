import { describe, expect, it } from "vitest";
import { diffConfig, extractProxyLines, formatTailLine, NO_COLORS, table } from "../../cli/format";

describe("config diff", () => {
  it("shows changed fields as before → after, and list changes as added/removed entries", () => {
    const before = { id: "r", percent: 10, match: { hosts: [], pathPrefixes: ["/"] }, allowlist: { new: ["a", "b"], legacy: [] } };
    const after = { id: "r", percent: 25, match: { hosts: [], pathPrefixes: ["/"] }, allowlist: { new: ["b", "c", "d"], legacy: [] }, guard: { maxErrorRate: 0.05 } };
    expect(diffConfig(before, after)).toEqual(["allowlist.new: +2 (c, d) -1 (a)", "guard: (unset) → {\"maxErrorRate\":0.05}", "percent: 10 → 25"]);
    expect(diffConfig(before, structuredClone(before))).toEqual([]);
  });
});

describe("tail", () => {
  const ours = { event: "proxy", rollout: "default", variant: "new", reason: "bucket", bucket: 698, threshold: 1000, status: 503, latencyMs: 41, method: "GET", path: "/cart" };
  it("finds our line inside a wrangler tail --format json event", () => {
    const event = JSON.stringify({ outcome: "ok", scriptName: "edge-router", logs: [{ message: [JSON.stringify(ours)], level: "log", timestamp: 1 }, { message: ["unrelated"], level: "log", timestamp: 2 }], event: { request: { url: "https://x/cart" } } });
    expect(extractProxyLines(event)).toEqual([ours]);
  });

  it("accepts our raw JSON lines too, and skips anything else", () => {
    expect(extractProxyLines(JSON.stringify(ours))).toEqual([ours]);
    expect(extractProxyLines("not json")).toEqual([]);
    expect(extractProxyLines(JSON.stringify({ event: "guard" }))).toEqual([]);
  });

  it("prints one readable line: rollout, variant, reason, bucket, status, latency, path", () => {
    const line = formatTailLine(ours, NO_COLORS, new Date("2026-11-22T12:34:56.789Z"));
    expect(line).toBe("12:34:56.789 default        new    bucket     698<1000   503    41 ms GET /cart");
  });
});

describe("table", () => {
  it("aligns columns under a header", () => {
    expect(table(["ID", "PERCENT"], [["default", "10%"], ["checkout-v2", "100%"]])).toBe("ID           PERCENT\n-----------  -------\ndefault      10%\ncheckout-v2  100%");
  });
});
