/**
 * The authoritative state: one Durable Object (named "global") is the single writer of every
 * rollout's config, the config version, the global kill switch and the audit log, in SQLite.
 * Policy lives in ./policy/ (commands.ts for writes); this class loads, calls it, and saves, and
 * hands health, notifications, external checks and the guard log to its collaborators
 * (./health-book.ts, ./notifier.ts, ./external-watch.ts, ./guard-log.ts). Tables: see STORAGE.md.
 * Longer than the ~250 lines of other modules because it is the object's whole RPC surface: one
 * method of a few lines per admin operation, each delegating; splitting it would split one class.
 */
import { DurableObject } from "cloudflare:workers";
import type { DeliveryView, HealthReport, RolloutRecord, SegmentList, SegmentView, ShadowReport } from "../contracts/admin-wire";
import type { AuditEntry, AuditRecord } from "../contracts/audit";
import type { SnapshotReply } from "../contracts/config-source";
import type { HealthFlush } from "../contracts/health";
import type { NotificationsView } from "../contracts/notifications";
import type { ConfigSnapshot, GlobalKill, StoredRollout } from "../contracts/rollout";
import type { ReplicaRef } from "../contracts/replicas";
import type { TokenView } from "../contracts/tokens";
import { readEnvConfig, type VarProblem } from "../contracts/vars";
import { pushToReplicas } from "./config-replica";
import { ExternalWatch, type SignalReply, type SignalsReply } from "./external-watch";
import { GuardLog } from "./guard-log";
import { HealthBook } from "./health-book";
import { Notifier, type NotificationsReply } from "./notifier";
import { applyCommand, EMPTY_STATE, seedState, toSnapshot, type Command, type CommandError, type ControlState } from "./policy/commands";
import { commandEvents } from "./policy/notify-events";
import { nextAlarmAt, rolloutStatus, type Evaluation } from "./policy/schedule";
import { segmentList, segmentView } from "./policy/segments";
import { tokenList } from "./policy/tokens";
import { type AuditQuery, loadControlState, readAudit, saveControlState } from "./store/config-store";
import { migrate } from "./store/schema";

export type { AuditQuery } from "./store/config-store";

/** `segment`: for segment commands, the segment as stored after the write (null once deleted). */
export type WriteReply =
  | { ok: true; changed: boolean; created: boolean; version: number; rollout: RolloutRecord | null; globalKill: GlobalKill; notices: string[]; segment?: SegmentView | null }
  | { ok: false; error: CommandError };

export class RolloutState extends DurableObject<Env> {
  private state: ControlState = EMPTY_STATE;
  private snapshot: ConfigSnapshot | undefined;
  /** Health counters and shadow comparisons, flushed by isolates and replicas. */
  private readonly health: HealthBook;
  private readonly guardLog = new GuardLog();
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
    this.health = new HealthBook(ctx.storage.sql, () => this.now().getTime());
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
      this.health.forget(audit.rolloutId);
      this.external.forget(audit.rolloutId);
    }
    this.ctx.waitUntil(this.ensureAlarm());
  }

  /** Every write reaches every regional replica at once (./config-replica.ts); failures are logged, never retried here. */
  private async pushToReplicas(): Promise<void> {
    const failed = await pushToReplicas(this.env, this.replicas, await this.getSnapshot(-1));
    if (failed.length) console.error(JSON.stringify({ event: "replica-push-failed", replicas: failed, version: this.state.version }));
  }

  /**
   * Keeps the alarm running while any rollout is watched, and brings it forward when the next
   * check or delivery is due sooner than the alarm set (e.g. a guard added while the only alarm
   * was a webhook retry hours away).
   */
  private async ensureAlarm(): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    const at = nextAlarmAt(this.state, this.now().getTime(), this.notifier.nextDueAt());
    if (at !== null && (current === null || at < current)) await this.ctx.storage.setAlarm(at);
  }

  /**
   * Health counters and shadow comparisons from an isolate or a regional replica (at most about
   * one call per replica, or isolate without replicas, per second).
   */
  async recordHealth(flush: HealthFlush): Promise<void> {
    this.health.record(flush);
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
    this.health.prune(t);
    const quiet: Evaluation[] = [];
    for (const evaluation of this.health.evaluate(this.state, t, (id) => this.external.inputs(id))) {
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
      this.guardLog.write(evaluation, applied);
    }
    this.notifier.notice(this.state, quiet);
    await this.notifier.deliverDue();
    const at = nextAlarmAt(this.state, this.now().getTime(), this.notifier.nextDueAt());
    if (at !== null) await this.ctx.storage.setAlarm(at);
  }

  private record(r: StoredRollout): RolloutRecord {
    const stage = this.health.stage(r, this.state.globalKill, this.external.inputs(r.config.id));
    return { ...r, status: rolloutStatus(r, this.state.globalKill), stage };
  }

  /**
   * Both variants of a rollout over the last `windowSeconds` (all of it, for the operator), with
   * the guard's verdict exactly as the alarm computes it (its own window, only traffic since
   * `since`); null for an unknown id.
   */
  async getHealth(id: string, windowSeconds = 60): Promise<HealthReport | null> {
    const r = this.rollout(id);
    if (!r) return null;
    return this.health.healthReport(r, this.state.globalKill, windowSeconds, this.external.inputs(id));
  }

  /** A rollout's shadow comparisons over the last `windowSeconds`, per prefix, with the newest examples; null for an unknown id. */
  async getShadow(id: string, windowSeconds = 300): Promise<ShadowReport | null> {
    const r = this.rollout(id);
    return r ? this.health.shadowReport(r, windowSeconds) : null;
  }

  /** `POST …/signals/:name` as `actor` (a token's name): stored, and judged at the next alarm. */
  async pushSignal(id: string, name: string, body: unknown, actor: string): Promise<SignalReply> {
    const r = this.rollout(id);
    return r ? this.external.pushSignal(r, name, body, actor) : { ok: false, error: { kind: "not-found", rolloutId: id } };
  }

  /** One signal's values (`name`), or every signal's, newest first. */
  async getSignals(id: string, name?: string): Promise<SignalsReply> {
    const r = this.rollout(id);
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

  /** The rollout `id` (seeded first, as every read is), if there is one. */
  private rollout(id: string): StoredRollout | undefined {
    this.ensureSeeded();
    return this.state.rollouts.get(id);
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
      ...(outcome.segment !== undefined ? { segment: outcome.segment && segmentView(this.state, outcome.segment) } : {}),
    };
  }

  /** Every segment, by name, with the rollouts that use it, and the config version. */
  async listSegments(): Promise<SegmentList> {
    this.ensureSeeded();
    return segmentList(this.state);
  }

  /** One segment and the rollouts that use it; null for an unknown name. */
  async getSegment(name: string): Promise<SegmentView | null> {
    const segment = this.state.segments.get(name);
    return segment ? segmentView(this.state, segment) : null;
  }

  async listRollouts(): Promise<{ version: number; globalKill: GlobalKill; rollouts: RolloutRecord[]; problems?: VarProblem[] }> {
    const problems = this.ensureSeeded();
    const rollouts = [...this.state.rollouts.values()].sort((a, b) => (a.config.id < b.config.id ? -1 : 1)).map((r) => this.record(r));
    return { version: this.state.version, globalKill: this.state.globalKill, rollouts, ...(problems ? { problems } : {}) };
  }

  async getRollout(id: string): Promise<RolloutRecord | null> {
    const r = this.rollout(id);
    return r ? this.record(r) : null;
  }

  /** Named admin tokens, oldest first: never their secret (never stored) nor their hash. */
  async listTokens(): Promise<TokenView[]> {
    return tokenList(this.state);
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
    return this.notifier.put(body, actor, this.state.version, note);
  }

  /** Recent webhook deliveries, newest first. */
  async listDeliveries(limit = 50): Promise<DeliveryView[]> {
    return this.notifier.recent(limit);
  }
}
