import { describe, expect, it } from "vitest";
import { NO_COLORS } from "../../cli/format";
import { formatTailLine, isError, JsonObjectSplitter, proxyEntries, type ProxyLine } from "../../cli/tail";

const ours: ProxyLine = {
  event: "proxy",
  rollout: "checkout",
  variant: "new",
  reason: "bucket",
  bucket: 698,
  threshold: 1000,
  method: "GET",
  path: "/cart",
  status: 503,
  latencyMs: 41,
};

/** An event as `wrangler tail --format json` prints it: pretty-printed with 4 spaces. */
const wranglerEvent = (messages: unknown[], timestamp = Date.parse("2026-11-22T12:34:56.789Z")) =>
  JSON.stringify(
    {
      outcome: "ok",
      scriptName: "edge-router",
      exceptions: [],
      logs: [{ message: messages, level: "log", timestamp }],
      eventTimestamp: timestamp - 5,
      event: { request: { url: "https://shop.example.com/cart", method: "GET" } },
    },
    null,
    4,
  );

function split(text: string): string[] {
  const splitter = new JsonObjectSplitter();
  return text.split("\n").flatMap((line) => splitter.pushLine(line));
}

describe("reading wrangler tail output", () => {
  it("joins a pretty-printed event back into one object, and takes raw lines one by one", () => {
    const raw = JSON.stringify(ours);
    const objects = split(`${wranglerEvent([raw])}\n${raw}\n${raw}`);
    expect(objects).toHaveLength(3);
    expect(objects.map((o) => JSON.parse(o).outcome ?? JSON.parse(o).event)).toEqual(["ok", "proxy", "proxy"]);
  });

  it("skips what is not JSON, and an object left open does not swallow the next one", () => {
    const raw = JSON.stringify(ours);
    const objects = split(`Connected to edge-router, waiting for logs...\ngarbage { never closed\n${raw}\n  "a stray line"\n${raw}`);
    expect(objects).toEqual([raw, raw]);
  });

  it("keeps braces inside strings from confusing it", () => {
    const tricky = JSON.stringify({ ...ours, path: '/a{b}"c\\' });
    expect(split(tricky)).toEqual([tricky]);
  });

  it("finds our line in an event's logs with the event's time; ignores other log lines", () => {
    const entries = proxyEntries(wranglerEvent(["plain text", JSON.stringify({ event: "guard" }), JSON.stringify(ours)]));
    expect(entries).toEqual([{ line: ours, at: new Date("2026-11-22T12:34:56.789Z") }]);
    expect(proxyEntries(JSON.stringify(ours))).toEqual([{ line: ours, at: undefined }]);
    expect(proxyEntries(JSON.stringify({ event: "guard" }))).toEqual([]);
    expect(proxyEntries("{not json}")).toEqual([]);
  });
});

describe("one line per request", () => {
  const at = new Date("2026-11-22T12:34:56.789Z");

  it("shows time, rollout, variant, reason, bucket, status, latency, method and path", () => {
    expect(formatTailLine({ line: ours, at }, NO_COLORS, new Date())).toBe("12:34:56.789  checkout          new     bucket          698<1000    503     41 ms  GET /cart");
    expect(formatTailLine({ line: { ...ours, variant: "legacy", bucket: 5000, status: 200 }, at }, NO_COLORS, new Date())).toMatch(/legacy {2}bucket {10}5000≥1000 {3}200/);
  });

  it("says what went wrong: no response, retried on legacy, stale config", () => {
    const line = formatTailLine(
      {
        line: {
          ...ours,
          variant: "legacy",
          reason: "killed",
          detail: "global",
          bucket: null,
          threshold: null,
          status: 0,
          retriedOnLegacy: true,
          stale: true,
          error: "connect ECONNREFUSED",
        },
        at: undefined,
      },
      NO_COLORS,
      at,
    );
    expect(line).toBe("12:34:56.789  checkout          legacy  killed:global               ERR     41 ms  GET /cart  retried-on-legacy  stale-config  error: connect ECONNREFUSED");
  });

  it("counts 5xx, no response and errors as failures", () => {
    expect([isError(ours), isError({ ...ours, status: 200 }), isError({ ...ours, status: 0 }), isError({ ...ours, status: 404 })]).toEqual([true, false, true, false]);
  });
});
