/**
 * The Durable Object's eyes beyond the proxy, as a thin shell: at each alarm it starts counts
 * afresh where a rollout was resumed, continued or moved, polls the due external checks and runs
 * the due probes (all in parallel, each bounded by MAX_REQUEST_MS, so the alarm is done before
 * the next one is due), judges pushed signals, and keeps the states in memory and in SQLite
 * (./store/external-store.ts). Never on the request path. The rules are pure, in ./policy/external/.
 */
import { MAX_REQUEST_MS, SignalPushSchema, type ExternalCheck, type PolledCheck, type Probe, type SignalPush } from "../contracts/external";
import { toFieldIssues } from "../contracts/field-issues";
import type { SignalValueView, SignalView } from "../contracts/external-wire";
import type { StoredRollout } from "../contracts/rollout";
import type { CommandError, ControlState } from "./policy/commands";
import { applyProbe, dueProbes, resetProbes, runProbe, type ProbeState } from "./policy/external/probes";
import { pollCheck } from "./policy/external/providers";
import { applyResult, dueChecks, recordSignal, resetSince, signalState, type CheckState } from "./policy/external/verdict";
import { NO_EXTERNAL, resetDecision, type ExternalInputs, type ResetMark } from "./policy/external/watch";
import { guardSince, isWatched } from "./policy/schedule";
import { deleteExternal, loadMarks, loadSignal, loadStates, saveMark, saveSignal, saveStates, signalNames, type RolloutStates, type StoredSignal } from "./store/external-store";

const isPolled = (check: ExternalCheck): check is PolledCheck => check.provider !== "signal";

/** Only what a check may name as a credential: the worker's string vars and secrets. */
function stringVars(env: object): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

export type SignalReply = { ok: true; value: SignalValueView } | { ok: false; error: CommandError };
export type SignalsReply = { ok: true; signals: SignalView[] } | { ok: false; error: CommandError };

/** The names the rollout's signal checks read. */
export function signalChecks(r: StoredRollout): string[] {
  return (r.config.guard?.external ?? []).filter((c) => c.provider === "signal").map((c) => c.name);
}

export function signalValueView(v: StoredSignal): SignalValueView {
  return { value: v.value, at: new Date(v.at).toISOString(), note: v.note ?? null, by: v.by ?? null };
}

export class ExternalWatch {
  private states: Map<string, RolloutStates>;
  private marks: Map<string, ResetMark>;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly now: () => number,
    private readonly env: object,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {
    this.states = loadStates(storage.sql);
    this.marks = loadMarks(storage.sql);
  }

  /** What the last alarm found for a rollout. */
  inputs(rolloutId: string): ExternalInputs {
    return this.states.get(rolloutId) ?? NO_EXTERNAL;
  }

  /** One alarm's work over every watched rollout that is not killed. */
  async run(state: ControlState): Promise<void> {
    const now = this.now();
    const watched = [...state.rollouts.values()].filter((r) => isWatched(r) && !r.config.killed && !state.globalKill.killed);
    await Promise.all(watched.map((r) => this.runRollout(r, now)));
  }

  /** A deleted rollout's states, marks and signals go with it. */
  forget(rolloutId: string): void {
    this.states.delete(rolloutId);
    this.marks.delete(rolloutId);
    deleteExternal(this.storage.sql, rolloutId);
  }

  /**
   * `POST …/signals/:name` as `by`: one value for a signal check of `r` (a name no check reads is
   * refused, so that a typo in a deploy script does not go unnoticed), judged at the next alarm.
   */
  pushSignal(r: StoredRollout, name: string, body: unknown, by: string): SignalReply {
    const known = signalChecks(r);
    if (!known.includes(name)) return { ok: false, error: { kind: "signal-not-found", rolloutId: r.config.id, name, known } };
    const parsed = SignalPushSchema.safeParse(body);
    if (!parsed.success) return { ok: false, error: { kind: "invalid", detail: "The signal value is invalid.", issues: toFieldIssues(parsed.error) } };
    return { ok: true, value: this.push(r.config.id, name, parsed.data, by) };
  }

  /** One signal (`name`), or every signal a check reads or a value was pushed to, newest values first. */
  signalsOf(r: StoredRollout, name?: string): SignalsReply {
    const id = r.config.id;
    const stored = signalNames(this.storage.sql, id);
    const known = [...new Set([...signalChecks(r), ...stored])].sort();
    if (name === undefined) return { ok: true, signals: this.signals(id, known) };
    if (!known.includes(name)) return { ok: false, error: { kind: "signal-not-found", rolloutId: id, name, known: signalChecks(r) } };
    return { ok: true, signals: this.signals(id, [name]) };
  }

  /** Stores one pushed value of `name`. */
  private push(rolloutId: string, name: string, push: SignalPush, by: string): SignalValueView {
    const before = loadSignal(this.storage.sql, rolloutId, name);
    const kept: StoredSignal[] = recordSignal(before, push, this.now());
    // recordSignal keeps the stored values as they were: the one it added is the new object.
    const added = kept.find((v) => !before.includes(v));
    if (added) (added as StoredSignal).by = by;
    saveSignal(this.storage, rolloutId, name, kept);
    return signalValueView(added ?? { value: push.value, at: this.now(), ...(push.note ? { note: push.note } : {}), by });
  }

  /** The values of each of `names`, newest first. */
  private signals(rolloutId: string, names: readonly string[]): SignalView[] {
    return names.map((name) => ({ name, values: loadSignal(this.storage.sql, rolloutId, name).reverse().map(signalValueView) }));
  }

  /** Starts the counts afresh when the rollout was resumed, continued or moved since the last alarm. */
  private reset(r: StoredRollout): RolloutStates {
    const id = r.config.id;
    const current = this.states.get(id) ?? { checks: {}, probes: {} };
    const decision = resetDecision(guardSince(r), r.config.percent, this.marks.get(id));
    if (this.marks.get(id) !== decision.mark) {
      this.marks.set(id, decision.mark);
      saveMark(this.storage.sql, id, decision.mark);
    }
    return {
      checks: decision.checks ? resetSince(current.checks) : current.checks,
      probes: decision.probes ? resetProbes(current.probes) : current.probes,
    };
  }

  private async runRollout(r: StoredRollout, now: number): Promise<void> {
    const id = r.config.id;
    const base = this.reset(r);
    const checks = r.config.guard?.external ?? [];
    const probes = r.config.probes ?? [];
    const [polled, ran] = await Promise.all([this.poll(r, checks, base.checks, now), this.probe(r, probes, base.probes, now)]);
    const next: RolloutStates = { checks: {}, probes: {} };
    for (const check of checks) {
      const state =
        check.provider === "signal" ? signalState(check, loadSignal(this.storage.sql, id, check.name), now, guardSince(r)) : (polled.get(check.name) ?? base.checks[check.name]);
      if (state) next.checks[check.name] = state;
    }
    for (const probe of probes) {
      const state = ran.get(probe.name) ?? base.probes[probe.name];
      if (state) next.probes[probe.name] = state;
    }
    this.states.set(id, next);
    saveStates(this.storage, id, next);
  }

  /** Polls the due checks of one rollout in parallel; each answer applied at `now` (when the poll started). */
  private async poll(r: StoredRollout, checks: readonly ExternalCheck[], states: Record<string, CheckState>, now: number): Promise<Map<string, CheckState>> {
    const due = dueChecks(checks.filter(isPolled), states, now) as PolledCheck[];
    const ctx = { rolloutId: r.config.id, vars: stringVars(this.env), now };
    const results = await Promise.all(due.map(async (check) => [check, await pollCheck(check, ctx, this.fetcher, MAX_REQUEST_MS)] as const));
    return new Map(results.map(([check, result]) => [check.name, applyResult(check, states[check.name], result, now)]));
  }

  /** Runs the due probes of one rollout in parallel, straight to its origins (never through the router). */
  private async probe(r: StoredRollout, probes: readonly Probe[], states: Record<string, ProbeState>, now: number): Promise<Map<string, ProbeState>> {
    const due = dueProbes(probes, states, now);
    const outcomes = await Promise.all(due.map(async (probe) => [probe, await runProbe(probe, r.config.origins, this.fetcher, this.now)] as const));
    return new Map(outcomes.map(([probe, outcome]) => [probe.name, applyProbe(states[probe.name], outcome, now, probe.failureThreshold)]));
  }
}
