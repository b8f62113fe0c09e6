import { describe, expect, it } from "vitest";
import { ProbeSchema, type Probe, type ProbeInput } from "../../contracts/external";
import { applyProbe, dueProbes, probeBreaches, probeRequest, probesPassing, resetProbes, type ProbeOutcome, type ProbeState } from "../../control/policy/external/probes";

const probe = (input: Partial<ProbeInput> = {}): Probe => ProbeSchema.parse({ name: "checkout", variant: "new", path: "/checkout/health", ...input });
const T0 = Date.parse("2025-03-01T12:00:00Z");
const pass: ProbeOutcome = { ok: true, status: 200, error: null, durationMs: 12 };
const fail502: ProbeOutcome = { ok: false, status: 502, error: "HTTP 502, expected 200", durationMs: 30 };
const origins = { legacy: "https://old.example.com", new: "https://new.example.com/base/" };

function runs(p: Probe, outcomes: ProbeOutcome[], start?: ProbeState): ProbeState {
  let state = start;
  for (const [i, o] of outcomes.entries()) state = applyProbe(state, o, T0 + i * 15_000, p.failureThreshold);
  return state!;
}

describe("probe requests", () => {
  it("goes to its variant's origin with the probe header, method and timeout", () => {
    const req = probeRequest(probe({ method: "HEAD", headers: { "x-tenant": "t1" }, timeoutMs: 500 }), origins);
    expect(req.url).toBe("https://new.example.com/base/checkout/health");
    expect(req.init).toMatchObject({ method: "HEAD", redirect: "manual", headers: { "x-tenant": "t1", "x-rollout-probe": "checkout" } });
    expect(req.timeoutMs).toBe(500);
    expect(probeRequest(probe({ variant: "legacy" }), origins).url).toBe("https://old.example.com/checkout/health");
  });

  it("runs again only after its interval", () => {
    const p = probe({ intervalSeconds: 15 });
    const state = runs(p, [pass]);
    expect(dueProbes([p], {}, T0)).toHaveLength(1);
    expect(dueProbes([p], { checkout: state }, T0 + 14_999)).toHaveLength(0);
    expect(dueProbes([p], { checkout: state }, T0 + 15_000)).toHaveLength(1);
  });
});

describe("probe states", () => {
  it("breaches after failureThreshold consecutive failures on new, not before", () => {
    const p = probe({ failureThreshold: 3 });
    expect(probeBreaches([p], { checkout: runs(p, [fail502, fail502]) })).toEqual([]);
    const breaches = probeBreaches([p], { checkout: runs(p, [fail502, fail502, fail502]) });
    expect(breaches).toEqual([
      {
        name: "checkout",
        consecutiveFailures: 3,
        lastStatus: 502,
        lastError: "HTTP 502, expected 200",
        sentence: "probe checkout: GET /checkout/health on new failed 3 times in a row (last: HTTP 502, expected 200)",
      },
    ]);
  });

  it("starts counting again after a pass", () => {
    const p = probe({ failureThreshold: 2 });
    expect(probeBreaches([p], { checkout: runs(p, [fail502, pass, fail502]) })).toEqual([]);
  });

  it("never breaches on a probe of legacy", () => {
    const p = probe({ variant: "legacy", failureThreshold: 1 });
    expect(probeBreaches([p], { checkout: runs(p, [fail502, fail502]) })).toEqual([]);
  });

  it("keeps only the last failureThreshold results", () => {
    const p = probe({ failureThreshold: 2 });
    expect(runs(p, [fail502, pass, pass]).results).toEqual([true, true]);
  });

  it("opens a requireProbes gate only when every probe passed its last failureThreshold runs", () => {
    const a = probe({ name: "a", failureThreshold: 2 });
    const b = probe({ name: "b", variant: "legacy", failureThreshold: 1 });
    expect(probesPassing([a, b], { a: runs(a, [pass]), b: runs(b, [pass]) })).toBe(false);
    expect(probesPassing([a, b], { a: runs(a, [pass, pass]), b: runs(b, [pass]) })).toBe(true);
    expect(probesPassing([a, b], { a: runs(a, [pass, pass]), b: runs(b, [pass, fail502]) })).toBe(false);
    expect(probesPassing([a, b], { a: runs(a, [pass, pass]) })).toBe(false);
  });

  it("after a reset, forgets failures and passes: the gate waits for fresh runs", () => {
    const p = probe({ failureThreshold: 2 });
    const failing = runs(p, [fail502, fail502]);
    const passing = runs(p, [pass, pass]);
    const reset = resetProbes({ failing, passing });
    expect(reset["failing"]).toMatchObject({ results: [], consecutiveFailures: 0, lastStatus: 502 });
    expect(probeBreaches([probe({ name: "failing", failureThreshold: 2 })], reset)).toEqual([]);
    expect(probesPassing([probe({ name: "passing", failureThreshold: 2 })], reset)).toBe(false);
    expect(probeBreaches([probe({ name: "failing", failureThreshold: 2 })], { failing: runs(p, [fail502, fail502], reset["failing"]) })).toHaveLength(1);
  });
});
