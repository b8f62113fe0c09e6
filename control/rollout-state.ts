/**
 * The authoritative state: one Durable Object (named "global") is the single writer of every
 * rollout's config, the config version, the global kill switch and the audit log, in SQLite.
 * Policy lives in ./commands.ts; this class loads, calls it, and saves. Tables: see STORAGE.md.
 */
import { DurableObject } from "cloudflare:workers";
import type { DeliveryView, HealthReport, RolloutRecord, SegmentList, SegmentView, ShadowReport } from "../contracts/admin-wire";
import type { AuditEntry, AuditRecord } from "../contracts/audit";
import type { SnapshotReply } from "../contracts/config-source";
import type { HealthFlush } from "../contracts/health";
import type { NotificationsView } from "../contracts/notifications";
import type { ConfigSnapshot, GlobalKill, StoredRollout } from "../contracts/rollout";
import type { ReplicaRef } from "../contracts/replicas";
import type { StoredSegment } from "../contracts/rules";
import { tokenView, type TokenView } from "../contracts/tokens";
import { readEnvConfig, type VarProblem } from "../contracts/vars";
import { applyCommand, EMPTY_STATE, seedState, toSnapshot, type Command, type CommandError, type ControlState } from "./policy/commands";
import { addFlush, prune, RETENTION_MS, series, summarize, type HealthWindows } from "./policy/health-windows";
import { commandEvents } from "./policy/notify-events";
import { rolloutsUsing } from "./policy/segments";
import { evaluateRollouts, GUARD_INTERVAL_MS, guardSince, guardVerdict, isWatched, rolloutStatus, stageView, type Evaluation } from "./policy/schedule";
import { addShadowFlush, forgetShadow, pruneShadow, shadowReportOver, type ShadowWindows } from "./policy/shadow-windows";
import { ExternalWatch, type SignalReply, type SignalsReply } from "./external-watch";
import { externalReport } from "./policy/external/report";
import { Notifier } from "./notifier";
import { type AuditQuery, loadControlState, readAudit, saveControlState } from "./store/config-store";
import { dropSlotsBefore, loadWindows, saveSlots } from "./store/health-store";
import { migrate } from "./store/schema";
import { deleteShadow, dropShadowBefore, loadShadow, saveShadow } from "./store/shadow-store";

export type { AuditQuery } from "./store/config-store";

/** Slots in a health report's chart series: the last five minutes, whatever the summary's window. */
export const SERIES_SLOTS = 30;

/** `segment`: for segment commands, the segment as stored after the write (null once deleted). */
export type WriteReply =
  | { ok: true; changed: boolean; created: boolean; version: number; rollout: RolloutRecord | null; globalKill: GlobalKill; notices: string[]; segment?: SegmentView | null }
  | { ok: false; error: CommandError };

export type NotificationsReply = { ok: true; changed: boolean; settings: NotificationsView } | { ok: false; error: CommandError };

export class RolloutState extends DurableObject<Env> {
  private state: ControlState = EMPTY_STATE;
  private snapshot: ConfigSnapshot | undefined;
  private windows: HealthWindows = {};
  private shadow: ShadowWindows = {};
  /** The last verdict status logged per rollout (a line goes to the log when it changes). */
  private lastLogged = new Map<string, string>();
  /** Injectable clock, so tests can control time. */
  now: () => Date = () => new Date();
  private readonly notifier: Notifier;
  /** External checks, probes and pushed signals (polled by the alarm, never by a request). */
  private readonly external: ExternalWatch;

  /** The regional read tier this primary pushes every write to (CONFIG_REPLICA_REGIONS). */
  private readonly replicas: ReplicaRef[];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.replicas = readEnvConfig(env).replicas;
    migrate(ctx.storage);
    this.state = loadControlState(ctx.storage.sql);
    this.windows = loadWindows(ctx.storage.sql, this.now().getTime());
    this.shadow = loadShadow(ctx.storage.sql, this.now().getTime());
    this.notifier = new Notifier(ctx.storage, () => this.now().getTime());
    this.external = new ExternalWatch(ctx.storage, () => this.now().getTime(), env);
  }

  /**
   * Persist `next` (diffed against the current state) and its audit entry in one transaction, and
   * queue the notifications it sends (delivered by the alarm, never by the request).
   */
  private save(next: ControlState, audit: AuditEntry): void {
    saveControlState(this.ctx.storage, this.state, next, audit);
    const events = commandEvents(audit, this.state, next);
    this.state = next;
    this.snapshot = undefined;
    if (this.replicas.length) this.ctx.waitUntil(this.pushToReplicas());
    this.notifier.enqueue(events);
    if (audit.action === "delete" && audit.rolloutId) {
      this.notifier.forget(audit.rolloutId);
      this.shadow = forgetShadow(this.shadow, audit.rolloutId);
      deleteShadow(this.ctx.storage.sql, audit.rolloutId);
      this.external.forget(audit.rolloutId);
    }
    this.ctx.waitUntil(this.ensureAlarm());
  }

  /**
   * Every write reaches every regional replica at once (a push that is lost is caught up by the
   * replica's next confirmation, within CONFIRM_EVERY_MS). Failures are logged, never retried here.
   */
  private async pushToReplicas(): Promise<void> {
    const reply = await this.getSnapshot(-1);
    const results = await Promise.allSettled(
      this.replicas.map((r) => this.env.CONFIG_REPLICA.get(this.env.CONFIG_REPLICA.idFromName(r.name), { locationHint: r.region }).receive(reply)),
    );
    const failed = results.flatMap((result, i) => (result.status === "rejected" ? [this.replicas[i]!.name] : []));
    if (failed.length) console.error(JSON.stringify({ event: "replica-push-failed", replicas: failed, version: this.state.version }));
  }

  /** The guard/stage check while a rollout not killed has a guard or stages. */
  private watching(): boolean {
    return [...this.state.rollouts.values()].some((r) => isWatched(r) && !r.config.killed);
  }

  /**
   * Keeps the alarm running while any rollout has a guard or stages, and brings it forward when a
   * delivery is due sooner.
   */
  private async ensureAlarm(): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    const due = this.notifier.nextDueAt();
    if (current === null) {
      const at = this.watching() ? this.now().getTime() + GUARD_INTERVAL_MS : due;
      if (at !== null) await this.ctx.storage.setAlarm(due !== null ? Math.min(at, due) : at);
    } else if (due !== null && due < current) await this.ctx.storage.setAlarm(due);
  }

  /**
   * Health counters and shadow comparisons from an isolate or a regional replica (at most about
   * one call per replica, or isolate without replicas, per second).
   */
  async recordHealth(flush: HealthFlush): Promise<void> {
    const now = this.now().getTime();
    const { windows, touched } = addFlush(this.windows, flush, now);
    this.windows = windows;
    saveSlots(this.ctx.storage.sql, touched);
    if (!flush.shadow) return;
    const shadow = addShadowFlush(this.shadow, flush.shadow, now);
    this.shadow = shadow.windows;
    saveShadow(this.ctx.storage.sql, shadow.touched, now);
  }

  /**
   * Every GUARD_INTERVAL_MS: external checks are polled and probes run (each bounded well within
   * the interval), guards roll back unhealthy rollouts, stages move healthy ones on, the notices go
   * out (approval needed, warnings); and whenever a webhook delivery is due: it is sent.
   */
  override async alarm(): Promise<void> {
    await this.external.run(this.state);
    const now = this.now();
    const t = now.getTime();
    this.windows = prune(this.windows, t);
    this.shadow = pruneShadow(this.shadow, t);
    dropSlotsBefore(this.ctx.storage.sql, t - RETENTION_MS);
    dropShadowBefore(this.ctx.storage.sql, t - RETENTION_MS);
    const quiet: Evaluation[] = [];
    for (const evaluation of evaluateRollouts(this.state, this.windows, t, (id) => this.external.inputs(id), this.shadow)) {
      const { command, actor } = evaluation;
      let applied: string | undefined;
      if (command && actor) {
        const outcome = applyCommand(this.state, command, { now, actor });
        if (outcome.ok && outcome.changed) {
          this.save(outcome.state, outcome.audit);
          applied = outcome.audit.action;
        }
      }
      if (!applied) quiet.push(evaluation);
      this.log(evaluation, applied);
    }
    this.notifier.notice(this.state, quiet);
    await this.notifier.deliverDue();
    const due = this.notifier.nextDueAt();
    const next = this.watching() ? this.now().getTime() + GUARD_INTERVAL_MS : null;
    const at = due !== null && (next === null || due < next) ? due : next;
    if (at !== null) await this.ctx.storage.setAlarm(at);
  }

  /** One `"event":"guard"` log line per rollout when its verdict, plan or action changes. */
  private log(evaluation: Evaluation, applied: string | undefined): void {
    const { rolloutId, verdict, plan, actor } = evaluation;
    const key = `${verdict.status}|${plan?.action ?? ""}|${applied ?? ""}`;
    if (!applied && this.lastLogged.get(rolloutId) === key) return;
    this.lastLogged.set(rolloutId, key);
    console.log(
      JSON.stringify({
        event: "guard",
        rollout: rolloutId,
        verdict: verdict.status,
        summary: verdict.summary,
        samples: verdict.samples,
        ...(plan ? { stage: plan.action, stageReason: plan.reason } : {}),
        ...(applied ? { action: applied, actor } : {}),
      }),
    );
  }

  private record(r: StoredRollout): RolloutRecord {
    const now = this.now().getTime();
    const stage = stageView(r, this.state.globalKill, this.windows, now, this.external.inputs(r.config.id), this.shadow);
    return { ...r, status: rolloutStatus(r, this.state.globalKill), stage };
  }

  /**
   * Both variants of a rollout over the last `windowSeconds` (all of it, for the operator), with
   * the guard's verdict exactly as the alarm computes it (its own window, only traffic since
   * `since`); null for an unknown id.
   */
  async getHealth(id: string, windowSeconds = 60): Promise<HealthReport | null> {
    this.ensureSeeded();
    const r = this.state.rollouts.get(id);
    if (!r) return null;
    const now = this.now().getTime();
    const ext = this.external.inputs(id);
    return {
      rollout: id,
      now: new Date(now).toISOString(),
      status: rolloutStatus(r, this.state.globalKill),
      ...summarize(this.windows, id, windowSeconds, now),
      since: new Date(guardSince(r)).toISOString(),
      verdict: guardVerdict(r, this.windows, now, ext, this.shadow),
      stage: stageView(r, this.state.globalKill, this.windows, now, ext, this.shadow),
      series: series(this.windows, id, SERIES_SLOTS, now),
      external: externalReport(r, ext, guardSince(r)),
    };
  }

  /** A rollout's shadow comparisons over the last `windowSeconds`, per prefix, with the newest examples; null for an unknown id. */
  async getShadow(id: string, windowSeconds = 300): Promise<ShadowReport | null> {
    this.ensureSeeded();
    const r = this.state.rollouts.get(id);
    if (!r) return null;
    const now = this.now().getTime();
    return { rollout: id, now: new Date(now).toISOString(), shadow: r.config.shadow ?? null, ...shadowReportOver(this.shadow, id, windowSeconds, now) };
  }

  /** `POST …/signals/:name` as `actor` (a token's name): stored, and judged at the next alarm. */
  async pushSignal(id: string, name: string, body: unknown, actor: string): Promise<SignalReply> {
    this.ensureSeeded();
    const r = this.state.rollouts.get(id);
    return r ? this.external.pushSignal(r, name, body, actor) : { ok: false, error: { kind: "not-found", rolloutId: id } };
  }

  /** One signal's values (`name`), or every signal's, newest first. */
  async getSignals(id: string, name?: string): Promise<SignalsReply> {
    this.ensureSeeded();
    const r = this.state.rollouts.get(id);
    return r ? this.external.signalsOf(r, name) : { ok: false, error: { kind: "not-found", rolloutId: id } };
  }

  /**
   * Seeds the `default` rollout from the vars when this object has never held a config.
   * Returns the vars' problems when it cannot.
   */
  private ensureSeeded(): VarProblem[] | undefined {
    if (this.state.version > 0) return undefined;
    const env = readEnvConfig(this.env);
    if (!env.seed) return env.problems;
    const { state, audit } = seedState(this.state, env.seed, this.now());
    this.save(state, audit);
    return undefined;
  }

  /** The config for isolates; `unchanged` when they already hold `knownVersion`. */
  async getSnapshot(knownVersion = -1): Promise<SnapshotReply> {
    const problems = this.ensureSeeded();
    if (problems) return { status: "unconfigured", problems };
    const asOf = this.now().getTime();
    if (knownVersion === this.state.version) return { status: "unchanged", version: knownVersion, asOf };
    this.snapshot ??= toSnapshot(this.state);
    return { status: "snapshot", snapshot: this.snapshot, asOf };
  }

  /** Apply one admin command as `actor` (a token's name); `note` goes into the audit entry (e.g. what X-Actor said). */
  async apply(command: Command, actor: string, note?: string): Promise<WriteReply> {
    this.ensureSeeded();
    const outcome = applyCommand(this.state, command, { now: this.now(), actor, ...(note ? { note } : {}) });
    if (!outcome.ok) return outcome;
    if (outcome.changed) this.save(outcome.state, outcome.audit);
    const created = outcome.changed && (outcome.audit.action === "create" || (outcome.audit.action === "segment-put" && outcome.audit.before === null));
    return {
      ok: true,
      changed: outcome.changed,
      created,
      version: this.state.version,
      rollout: outcome.rollout && this.record(outcome.rollout),
      globalKill: this.state.globalKill,
      notices: outcome.notices ?? [],
      ...(outcome.segment !== undefined ? { segment: outcome.segment && this.segmentView(outcome.segment) } : {}),
    };
  }

  private segmentView(segment: StoredSegment): SegmentView {
    return { ...segment, usedBy: rolloutsUsing(this.state, segment.name) };
  }

  /** Every segment, by name, with the rollouts that use it, and the config version. */
  async listSegments(): Promise<SegmentList> {
    this.ensureSeeded();
    const segments = [...this.state.segments.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return { version: this.state.version, segments: segments.map((s) => this.segmentView(s)) };
  }

  /** One segment and the rollouts that use it; null for an unknown name. */
  async getSegment(name: string): Promise<SegmentView | null> {
    const segment = this.state.segments.get(name);
    return segment ? this.segmentView(segment) : null;
  }

  async listRollouts(): Promise<{ version: number; globalKill: GlobalKill; rollouts: RolloutRecord[]; problems?: VarProblem[] }> {
    const problems = this.ensureSeeded();
    const rollouts = [...this.state.rollouts.values()].sort((a, b) => (a.config.id < b.config.id ? -1 : 1)).map((r) => this.record(r));
    return { version: this.state.version, globalKill: this.state.globalKill, rollouts, ...(problems ? { problems } : {}) };
  }

  async getRollout(id: string): Promise<RolloutRecord | null> {
    this.ensureSeeded();
    const r = this.state.rollouts.get(id);
    return r ? this.record(r) : null;
  }

  /** Named admin tokens, oldest first: never their secret (never stored) nor their hash. */
  async listTokens(): Promise<TokenView[]> {
    return [...this.state.tokens.values()].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.name < b.name ? -1 : 1)).map(tokenView);
  }

  /** Audit entries, newest first. */
  async getAudit(query: AuditQuery = {}): Promise<AuditRecord[]> {
    return readAudit(this.ctx.storage.sql, query);
  }

  /** The webhook settings, without secrets. */
  async getNotifications(): Promise<NotificationsView> {
    return this.notifier.view();
  }

  /** Replaces the webhook settings as `actor` (a webhook without `secret` keeps its stored one); `note` as for apply. */
  async putNotifications(body: unknown, actor: string, note?: string): Promise<NotificationsReply> {
    const outcome = this.notifier.put(body, actor, this.state.version, note);
    if (!outcome.ok) return outcome;
    return { ok: true, changed: outcome.changed, settings: this.notifier.view() };
  }

  /** Recent webhook deliveries, newest first. */
  async listDeliveries(limit = 50): Promise<DeliveryView[]> {
    return this.notifier.recent(limit);
  }
}
