/**
 * One client must not be able to kill (or mask) a rollout through its guard, and a resume or a
 * continue must not be undone by failures from before it: the guard verdicts, then the whole path
 * (isolate counting → 10 s slots → the alarm's decisions → the command) on simulated traffic.
 */
import { describe, expect, it } from "vitest";
import { GuardSchema } from "../../contracts/guard";
import type { HealthSummary, VariantSummary } from "../../contracts/health";
import type { StoredRollout } from "../../contracts/rollout";
import { applyCommand, type Command, type ControlState, EMPTY_STATE } from "../../control/policy/commands";
import { evaluateGuard } from "../../control/policy/guard";
import { addFlush, type HealthWindows } from "../../control/policy/health-windows";
import { evaluateRollouts, guardSince } from "../../control/policy/schedule";
import { newAccumulator, recordOutcome, takeFlush } from "../../edge/health-batcher";

const variant = (over: Partial<VariantSummary>): VariantSummary => ({
  requests: 1000,
  errors: 0,
  clientErrors: 0,
  errorRate: 0,
  p50: 20,
  p95: 40,
  p99: 60,
  users: 40,
  errorUsers: 0,
  errorIps: 0,
  ...over,
});
const summary = (next: Partial<VariantSummary>, legacy: Partial<VariantSummary> = {}): HealthSummary => ({ windowSeconds: 30, legacy: variant(legacy), new: variant(next) });
const guard = (g: Record<string, unknown>) => GuardSchema.parse({ windowSeconds: 30, minRequests: 20, ...g });

describe("guard verdicts count users, not only requests", () => {
  it("is inconclusive with fewer than minUsers distinct users on new, whatever the error rate", () => {
    const v = evaluateGuard(guard({ maxErrorRate: 0.05 }), summary({ requests: 656, errors: 455, errorRate: 0.694, users: 3, errorUsers: 1 }));
    expect(v).toMatchObject({ status: "inconclusive", breaches: [], users: { new: 3 } });
    expect(v.summary).toBe("Not enough users on new to judge: 3 of 5 distinct users needed in 30 s (n=656).");
  });

  it("does not breach an error rate pushed by errors from fewer than minUsers users, and says why", () => {
    const v = evaluateGuard(guard({ maxErrorRate: 0.05 }), summary({ requests: 656, errors: 455, errorRate: 0.694, users: 41, errorUsers: 1 }));
    expect(v).toMatchObject({ status: "inconclusive", breaches: [], unconfirmed: ["maxErrorRate"] });
    expect(v.summary).toBe(
      "new error rate 69.4% over 30 s (n=656, 41 users, errors from 1 user) exceeds maxErrorRate 5.0% (legacy 0.0%, n=1,000), but errors came from only 1 user (minUsers is 5): not a breach until errors come from more users.",
    );
  });

  it("breaches once errors come from minUsers users, naming how many", () => {
    const v = evaluateGuard(guard({ maxErrorRate: 0.05, maxErrorRateDelta: 0.02 }), summary({ requests: 200, errors: 40, errorRate: 0.2, users: 37, errorUsers: 12 }));
    expect(v.status).toBe("breach");
    expect(v.breaches.map((b) => b.limit)).toEqual(["maxErrorRate", "maxErrorRateDelta"]);
    expect(v.breaches[0]!.sentence).toBe("new error rate 20.0% over 30 s (n=200, 37 users, errors from 12 users) exceeds maxErrorRate 5.0% (legacy 0.0%, n=1,000)");
    expect(v.breaches[1]!.sentence).toMatch(/over 30 s \(n=200, 37 users, errors from 12 users; n=1,000 legacy\); maxErrorRateDelta is 2\.0%$/);
  });

  it("holds back error-rate limits only: a latency breach stands with errors from nobody", () => {
    const v = evaluateGuard(guard({ maxErrorRate: 0.05, maxP95Ms: 100 }), summary({ errors: 300, errorRate: 0.3, errorUsers: 2, p95: 400 }));
    expect(v).toMatchObject({ status: "breach", unconfirmed: ["maxErrorRate"] });
    expect(v.breaches.map((b) => b.limit)).toEqual(["maxP95Ms"]);
    expect(v.summary).toMatch(/^new p95 400 ms over 30 s \(n=1,000, 40 users\) exceeds maxP95Ms 100 ms/);
  });

  it("asks for errors from minClientIps addresses only when told to", () => {
    const failing = summary({ requests: 500, errors: 100, errorRate: 0.2, users: 30, errorUsers: 30, errorIps: 1 });
    expect(evaluateGuard(guard({ maxErrorRate: 0.05 }), failing).status).toBe("breach");
    const v = evaluateGuard(guard({ maxErrorRate: 0.05, minClientIps: 3 }), failing);
    expect(v.status).toBe("inconclusive");
    expect(v.summary).toMatch(/\(n=500, 30 users, errors from 30 users, 1 address\) exceeds maxErrorRate 5\.0%/);
    expect(v.summary).toMatch(/but from only 1 client address \(minClientIps is 3\): not a breach/);
    expect(evaluateGuard(guard({ maxErrorRate: 0.05, minClientIps: 3 }), summary({ ...failing.new, errorIps: 3 })).status).toBe("breach");
  });

  it("treats a guard stored before minUsers existed as minUsers 5", () => {
    const { minUsers: _, ...stored } = guard({ maxErrorRate: 0.05 });
    const failing = { requests: 500, errors: 100, errorRate: 0.2, users: 30 };
    expect(evaluateGuard(stored as never, summary({ ...failing, errorUsers: 4 })).status).toBe("inconclusive");
    expect(evaluateGuard(stored as never, summary({ ...failing, errorUsers: 5 })).status).toBe("breach");
  });
});

// ---- The whole path on simulated traffic ------------------------------------------------------

const T0 = Date.parse("2026-11-22T12:00:00Z");
const origins = { legacy: "https://l.example", new: "https://n.example" };
type Hit = { user: string; status: number; variant?: "new" | "legacy" };

class Simulation {
  state: ControlState;
  windows: HealthWindows = {};
  log: string[] = [];

  constructor(config: Record<string, unknown>) {
    const out = applyCommand(EMPTY_STATE, { type: "put", id: "r", body: { origins, percent: 50, ...config } }, { now: new Date(T0), actor: "ops" });
    if (!out.ok) throw new Error(JSON.stringify(out.error));
    this.state = out.state;
  }

  get rollout(): StoredRollout {
    return this.state.rollouts.get("r")!;
  }

  /** One isolate's second of traffic, flushed at `at`. */
  second(at: number, hits: Hit[]): void {
    const acc = newAccumulator(at - 1000);
    for (const hit of hits) recordOutcome(acc, "r", hit.variant ?? "new", { status: hit.status, latencyMs: 20, user: hit.user, clientIp: null });
    const flush = takeFlush(acc, at);
    if (flush) this.windows = addFlush(this.windows, flush, at).windows;
  }

  /** The alarm at `at`: its decisions applied as the Durable Object does. */
  alarm(at: number) {
    const evaluations = evaluateRollouts(this.state, this.windows, at);
    for (const e of evaluations) if (e.command && e.actor) this.run(e.command, at, e.actor);
    return evaluations[0];
  }

  run(command: Command, at: number, actor = "ops"): void {
    const out = applyCommand(this.state, command, { now: new Date(at), actor });
    if (!out.ok) throw new Error(JSON.stringify(out.error));
    if (out.changed) {
      this.state = out.state;
      this.log.push(`${actor} ${out.audit.action}`);
    }
  }
}

const times = (n: number, hit: Hit): Hit[] => Array.from({ length: n }, () => hit);
const users = (n: number, prefix: string, status: number): Hit[] => Array.from({ length: n }, (_, i) => ({ user: `${prefix}-${i}`, status }));
const healthyCrowd = () => [...users(20, "healthy", 200), ...users(20, "healthy-legacy", 200).map((h) => ({ ...h, variant: "legacy" as const }))];

describe("one client against a guarded rollout", () => {
  it("cannot kill it with 650 failing requests beside 40 healthy users; ten users failing can", () => {
    const sim = new Simulation({ guard: { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05 } });
    for (let s = 1; s <= 25; s++) {
      sim.second(T0 + s * 1000, [...times(26, { user: "attacker", status: 503 }), ...healthyCrowd()]);
      sim.alarm(T0 + s * 1000);
    }
    const verdict = sim.alarm(T0 + 25_000)!.verdict;
    expect(sim.log).toEqual([]);
    expect(sim.rollout.config.killed).toBe(false);
    // Capped, the attacker still pushes the rate over 5%; from one user, that is no breach.
    expect(verdict).toMatchObject({ status: "inconclusive", unconfirmed: ["maxErrorRate"] });
    expect(verdict.summary).toMatch(/errors from 1 user\) exceeds maxErrorRate 5\.0% .*but errors came from only 1 user \(minUsers is 5\)/);

    sim.second(T0 + 26_000, [...users(10, "unlucky", 503), ...healthyCrowd()]);
    expect(sim.alarm(T0 + 26_000)!.verdict.summary).toMatch(/errors from 11 users\) exceeds maxErrorRate/);
    expect(sim.log).toEqual(["guard kill"]);
    expect(sim.rollout.killReason).toMatch(/^guard maxErrorRate: new error rate .* \(n=\d+, \d+ users, errors from 11 users\)/);
  });

  it("cannot hide a regression spread over many users behind 10,000 fast 200s", () => {
    const sim = new Simulation({ guard: { windowSeconds: 30, minRequests: 20, maxErrorRate: 0.05 } });
    for (let s = 1; s <= 10; s++) {
      // 30 users on new, one in five of their requests failing (a different five each second).
      const regression = Array.from({ length: 30 }, (_, i) => ({ user: `user-${i}`, status: (i + s) % 5 === 0 ? 503 : 200 }));
      sim.second(T0 + s * 1000, [...times(1000, { user: "flooder", status: 200 }), ...regression]);
    }
    const e = sim.alarm(T0 + 10_500)!;
    expect(e.verdict.status).toBe("breach");
    expect(e.verdict.breaches[0]!.value).toBeGreaterThan(0.1);
    expect(sim.log).toEqual(["guard kill"]);
  });
});

describe("a resume or continue starts the guard's count afresh", () => {
  const failingCrowd = () => [...users(20, "early", 503), ...users(20, "early-ok", 200)];

  it("does not kill a resumed rollout on failures from before the resume; new failures after it do", () => {
    const sim = new Simulation({ guard: { windowSeconds: 60, minRequests: 20, maxErrorRate: 0.05 } });
    for (let s = 1; s <= 15; s++) sim.second(T0 + s * 1000, failingCrowd());
    sim.alarm(T0 + 15_000);
    expect(sim.log).toEqual(["guard kill"]);
    // Fixed; resumed mid-slot, 5 s later, with the failures well inside the 60 s window.
    sim.run({ type: "resume", id: "r", body: {} }, T0 + 20_000 + 5000);
    expect(guardSince(sim.rollout)).toBe(T0 + 25_000);
    for (let s = 26; s <= 45; s++) {
      sim.second(T0 + s * 1000, users(30, "after", 200));
      sim.alarm(T0 + s * 1000);
    }
    expect(sim.log).toEqual(["guard kill", "ops resume"]);
    expect(sim.alarm(T0 + 45_000)!.verdict).toMatchObject({ status: "healthy", windowSeconds: 20 });
    // Six users now fail, five requests each per second.
    const brokenAgain = users(6, "broken-again", 503).flatMap((hit) => times(5, hit));
    for (let s = 46; s <= 48; s++) sim.second(T0 + s * 1000, [...brokenAgain, ...users(30, "after", 200)]);
    sim.alarm(T0 + 48_000);
    expect(sim.log).toEqual(["guard kill", "ops resume", "guard kill"]);
    expect(sim.rollout.killReason).toMatch(/errors from 6 users\)/);
  });

  it("does not pause a continued rollout again on failures from before the continue; new failures after it do", () => {
    const stages = [
      { percent: 10, holdSeconds: 30 },
      { percent: 50, holdSeconds: 30 },
    ];
    const sim = new Simulation({ percent: 10, stages, guard: { windowSeconds: 60, minRequests: 20, maxErrorRate: 0.05, action: "pause" } });
    for (let s = 1; s <= 15; s++) sim.second(T0 + s * 1000, failingCrowd());
    sim.alarm(T0 + 15_000);
    expect(sim.log).toEqual(["guard pause"]);
    sim.run({ type: "continue", id: "r", body: {} }, T0 + 25_000);
    sim.alarm(T0 + 26_000);
    expect(sim.log).toEqual(["guard pause", "ops continue"]);
    // Healthy since the continue: the stage moves on once the hold is over, on that traffic alone.
    for (let s = 26; s <= 40; s++) {
      sim.second(T0 + s * 1000, users(30, "after", 200));
      sim.alarm(T0 + s * 1000);
    }
    expect(sim.log).toEqual(["guard pause", "ops continue", "stages advance"]);
    for (let s = 41; s <= 55; s++) sim.second(T0 + s * 1000, [...users(8, "broken-again", 503), ...users(30, "after", 200)]);
    sim.alarm(T0 + 55_000);
    expect(sim.log).toEqual(["guard pause", "ops continue", "stages advance", "guard pause"]);
    expect(sim.rollout.pauseReason).toMatch(/errors from 8 users\)/);
  });
});
