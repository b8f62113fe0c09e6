// Tests for the rounds summary: run with `npm run bench:test`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { summarizeRounds } from "./wrk.mjs";

const round = (rps, cpu, errors = 0) => ({ rps, cpuUsPerRequest: cpu, cpuSeconds: cpu, p50: 1, p99: 9, errors, non2xx: 0, requests: rps * 10, seconds: 10 });

describe("summarizeRounds", () => {
  it("takes each figure's own median, so one slow round moves neither requests/s nor CPU", () => {
    const s = summarizeRounds([round(5000, 170), round(3000, 260), round(5200, 165)]);
    assert.equal(s.rps, 5000);
    assert.equal(s.cpuUsPerRequest, 170);
    assert.equal(s.rounds.length, 3);
  });

  it("sums what must never be hidden by a median: errors and requests", () => {
    const s = summarizeRounds([round(100, 1), round(100, 1, 4), round(100, 1)]);
    assert.equal(s.errors, 4);
    assert.equal(s.requests, 3000);
  });

  it("takes the lower middle of an even count and skips figures that were not measured", () => {
    const s = summarizeRounds([round(10, null), round(30, 200), round(20, null), round(40, 100)]);
    assert.equal(s.rps, 20);
    assert.equal(s.cpuUsPerRequest, 100);
  });

  it("is null, not zero, when no round measured CPU", () => {
    assert.equal(summarizeRounds([round(10, null)]).cpuUsPerRequest, null);
  });
});
