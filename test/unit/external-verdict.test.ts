import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExternalCheckSchema, type ExternalCheck, type ExternalCheckInput, type SignalCheck } from "../../contracts/external";
import type { CheckResult } from "../../control/policy/external/providers";
import { applyResult, dueChecks, externalVerdict, recordSignal, resetSince, signalState, type CheckState, type SignalValue } from "../../control/policy/external/verdict";

const check = (input: ExternalCheckInput): ExternalCheck => ExternalCheckSchema.parse(input);
const T0 = Date.parse("2025-03-01T12:00:00Z");
const value = (v: number | boolean): CheckResult => ({ ok: true, value: v });
const error: CheckResult = { ok: false, error: "no answer within 2000 ms" };

const queueInput = { name: "queue_depth", description: "celery queue depth", provider: "prometheus", url: "http://p:9090", query: "q", max: 5000, failureLimit: 2 } as const;
const queue = check(queueInput);

/** Feeds results one poll at a time (10 s apart) and returns every intermediate state. */
function run(c: ExternalCheck, results: CheckResult[], start?: CheckState): CheckState[] {
  const states: CheckState[] = [];
  let state = start;
  results.forEach((r, i) => {
    state = applyResult(c, state, r, T0 + i * 10_000);
    states.push(state);
  });
  return states;
}

describe("polled checks", () => {
  it("needs two consecutive failures to breach with failureLimit 2", () => {
    const states = run(queue, [value(5400), value(5600)]);
    expect(states.map((s) => s.verdict)).toEqual(["pending", "fail"]);
    expect(states[1]!.consecutiveFailures).toBe(2);
  });

  it("forgets a failure when a pass comes in between", () => {
    const states = run(queue, [value(5400), value(4000), value(5400)]);
    expect(states.map((s) => s.verdict)).toEqual(["pending", "pass", "pending"]);
    expect(states[2]!.consecutiveFailures).toBe(1);
  });

  it("with onError inconclusive, an error neither counts nor resets the failures", () => {
    const states = run(queue, [value(5400), error, value(5400)]);
    expect(states.map((s) => [s.verdict, s.consecutiveFailures])).toEqual([
      ["pending", 1],
      ["inconclusive", 1],
      ["fail", 2],
    ]);
    expect(states[1]!.lastError).toBe("no answer within 2000 ms");
    expect(states[2]!.lastError).toBeNull();
  });

  it("with onError breach, errors count as failures", () => {
    const strict = check({ ...queueInput, onError: "breach" });
    expect(run(strict, [error, error]).map((s) => s.verdict)).toEqual(["pending", "fail"]);
  });

  it("counts a boolean as 1 or 0 against max, and judges equals", () => {
    const off = check({ name: "maint", provider: "web", url: "https://x.test", jsonPointer: "/maintenance", max: 0 });
    expect(run(off, [value(false), value(true)]).map((s) => s.verdict)).toEqual(["pass", "fail"]);
    const healthy = check({ name: "ok", provider: "web", url: "https://x.test", jsonPointer: "/ok", equals: true });
    expect(run(healthy, [value(true), value(false)]).map((s) => s.verdict)).toEqual(["pass", "fail"]);
    // A number where true/false was expected is a misconfiguration, not a failure.
    expect(run(healthy, [value(1)])[0]).toMatchObject({ verdict: "inconclusive", lastError: expect.stringContaining("expected true or false") });
  });

  it("judges min as a floor", () => {
    const rps = check({ name: "rps", provider: "web", url: "https://x.test", jsonPointer: "/rps", min: 10 });
    expect(run(rps, [value(10), value(9.5)]).map((s) => s.verdict)).toEqual(["pass", "fail"]);
  });

  it("breaches exactly when failureLimit failures follow the last pass (errors ignored)", () => {
    const step = fc.oneof(fc.constant<CheckResult>(value(1)), fc.constant<CheckResult>(value(9999)), fc.constant<CheckResult>(error));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(step, { minLength: 1, maxLength: 30 }), (limit, results) => {
        const c = check({ ...queueInput, failureLimit: limit });
        const last = run(c, results).at(-1)!;
        let failures = 0;
        for (const r of results) if (r.ok) failures = r.value === 9999 ? failures + 1 : 0;
        expect(last.consecutiveFailures).toBe(failures);
        expect(last.verdict === "fail").toBe(results.at(-1)!.ok && failures >= limit);
      }),
    );
  });

  it("polls a check again only after its interval, and signals at every alarm", () => {
    const sig = check({ name: "smoke", provider: "signal", min: 1 });
    const polled = applyResult(queue, undefined, value(1), T0);
    const states = { queue_depth: polled };
    expect(dueChecks([queue, sig], {}, T0).map((c) => c.name)).toEqual(["queue_depth", "smoke"]);
    expect(dueChecks([queue, sig], states, T0 + 29_999).map((c) => c.name)).toEqual(["smoke"]);
    expect(dueChecks([queue, sig], states, T0 + 30_000).map((c) => c.name)).toEqual(["queue_depth", "smoke"]);
  });

  it("after a reset, earlier failures no longer count and the check is polled at once", () => {
    const [, failing] = run(queue, [value(5400), value(5400)]);
    const reset = resetSince({ queue_depth: failing }).queue_depth!;
    expect(reset).toMatchObject({ verdict: "pending", consecutiveFailures: 0, lastPolledAt: null, lastValue: 5400 });
    expect(dueChecks([queue], { queue_depth: reset }, T0 + 20_000)).toHaveLength(1);
    expect(run(queue, [value(5400)], reset)[0]!.verdict).toBe("pending");
  });
});

describe("pushed signals", () => {
  const smoke = check({ name: "smoke", provider: "signal", max: 0.1, failureLimit: 2, staleAfterSeconds: 300 }) as SignalCheck;
  const at = (seconds: number, v: number | boolean): SignalValue => ({ value: v, at: T0 + seconds * 1000 });

  it("judges the newest value and counts the failing ones before it", () => {
    expect(signalState(smoke, [at(0, 0.5), at(10, 0.2)], T0 + 20_000)).toMatchObject({ verdict: "fail", consecutiveFailures: 2, lastValue: 0.2 });
    expect(signalState(smoke, [at(0, 0.5), at(10, 0.05), at(20, 0.2)], T0 + 30_000)).toMatchObject({ verdict: "pending", consecutiveFailures: 1 });
    expect(signalState(smoke, [at(10, 0.2), at(0, 0.0)], T0 + 30_000)).toMatchObject({ verdict: "pending", lastValue: 0.2 });
  });

  it("goes inconclusive when the newest value is older than staleAfterSeconds", () => {
    const values = [at(0, 0.5), at(10, 0.5)];
    expect(signalState(smoke, values, T0 + 310_000).verdict).toBe("fail");
    expect(signalState(smoke, values, T0 + 311_000)).toMatchObject({ verdict: "inconclusive", lastError: expect.stringContaining("pushed 301 s ago") });
  });

  it("ignores values pushed before `since`", () => {
    const values = [at(0, 0.5), at(10, 0.5), at(30, 0.5)];
    expect(signalState(smoke, values, T0 + 40_000, T0 + 20_000)).toMatchObject({ verdict: "pending", consecutiveFailures: 1 });
    expect(signalState(smoke, values, T0 + 40_000, T0 + 31_000)).toMatchObject({ verdict: "pending", lastValue: null, lastError: "no value pushed since the last reset" });
  });

  it("stores pushes in time order, never later than now, keeping the newest 100", () => {
    let values: SignalValue[] = [];
    for (let i = 0; i < 105; i++) values = recordSignal(values, { value: i }, T0 + i);
    expect(values).toHaveLength(100);
    expect(values[0]!.value).toBe(5);
    const later = recordSignal([], { value: 1, at: "2030-01-01T00:00:00Z", note: "skewed clock" }, T0);
    expect(later).toEqual([{ value: 1, at: T0, note: "skewed clock" }]);
  });
});

describe("external verdict", () => {
  it("reads a breach like an incident note", () => {
    const [, failing] = run(queue, [value(5400), value(5400)]);
    const verdict = externalVerdict([queue], { queue_depth: failing });
    expect(verdict.status).toBe("breach");
    expect(verdict.breaches).toEqual([
      { name: "queue_depth", value: 5400, limit: 5000, sentence: "external queue_depth: celery queue depth 5,400 exceeds max 5,000 (2 consecutive failures, prometheus)" },
    ]);
  });

  it("names an error breach by its error", () => {
    const strict = check({ name: "dd", provider: "datadog", site: "datadoghq.com", query: "q", apiKeyVar: "K", appKeyVar: "A", max: 1, onError: "breach" });
    const state = applyResult(strict, undefined, { ok: false, error: "Datadog answered HTTP 403: Forbidden" }, T0);
    expect(externalVerdict([strict], { dd: state }).breaches[0]!.sentence).toBe("external dd: no usable value: Datadog answered HTTP 403: Forbidden (1 failure, datadog)");
  });

  it("is healthy only when every check passes, and inconclusive while any is pending or unknown", () => {
    const other = check({ name: "rps", provider: "web", url: "https://x.test", jsonPointer: "/rps", min: 10 });
    const passing = applyResult(queue, undefined, value(10), T0);
    expect(externalVerdict([queue], { queue_depth: passing })).toEqual({ status: "healthy", breaches: [], waiting: [] });
    const verdict = externalVerdict([queue, other], { queue_depth: applyResult(queue, passing, value(6000), T0) });
    expect(verdict.status).toBe("inconclusive");
    expect(verdict.waiting).toEqual([
      { name: "queue_depth", verdict: "pending", reason: "1 of 2 failures: celery queue depth 6,000 exceeds max 5,000" },
      { name: "rps", verdict: "pending", reason: "no result yet" },
    ]);
  });
});
