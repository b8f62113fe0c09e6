/**
 * The authoritative state: one Durable Object (named "global") is the single writer of every
 * rollout's config, the config version, the global kill switch and the audit log, in SQLite.
 * Policy lives in ./commands.ts; this class loads, calls it, and saves. Tables: see STORAGE.md.
 */
import { DurableObject } from "cloudflare:workers";
import type { SnapshotReply } from "../contracts/config-source";
import { readEnvConfig, type VarProblem } from "../contracts/vars";
import type { HealthReport, RolloutRecord } from "../contracts/admin-wire";
import type { AuditEntry, AuditRecord } from "../contracts/audit";
import type { HealthFlush } from "../contracts/health";
import { addFlush, prune, RETENTION_MS, series, summarize, type HealthWindows, type Slot } from "./policy/health-windows";
import type { ConfigSnapshot, GlobalKill, OverrideSettings, StoredRollout } from "../contracts/rollout";
import { applyCommand, EMPTY_STATE, seedState, toSnapshot, type Command, type CommandError, type ControlState } from "./policy/commands";
import { evaluateRollouts, GUARD_INTERVAL_MS, guardSince, guardVerdict, isWatched, rolloutStatus, stageView } from "./policy/schedule";

/** Slots in a health report's chart series: the last five minutes, whatever the summary's window. */
export const SERIES_SLOTS = 30;

/** How many audit entries are kept (oldest dropped first). */
export const AUDIT_RETENTION = 10_000;

export type WriteReply =
  | { ok: true; changed: boolean; created: boolean; version: number; rollout: RolloutRecord | null; globalKill: GlobalKill; notices: string[] }
  | { ok: false; error: CommandError };

export interface AuditQuery {
  limit?: number;
  rolloutId?: string;
  /** Only entries with a sequence number below this (for paging). */
  before?: number;
}

export class RolloutState extends DurableObject<Env> {
  private state: ControlState = EMPTY_STATE;
  private snapshot: ConfigSnapshot | undefined;
  private windows: HealthWindows = {};
  /** The last verdict status logged per rollout (a line goes to the log when it changes). */
  private lastLogged = new Map<string, string>();
  /** Injectable clock, so tests can control time. */
  now: () => Date = () => new Date();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS rollouts (id TEXT PRIMARY KEY, record TEXT NOT NULL)`);
    sql.exec(
      `CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, rollout_id TEXT, version INTEGER NOT NULL, before TEXT, after TEXT, reason TEXT)`,
    );
    sql.exec(`CREATE INDEX IF NOT EXISTS audit_rollout ON audit (rollout_id, seq)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS health_slots (rollout_id TEXT NOT NULL, slot INTEGER NOT NULL, stats TEXT NOT NULL, PRIMARY KEY (rollout_id, slot))`);
    this.state = this.load();
    this.windows = this.loadWindows();
  }

  private load(): ControlState {
    const sql = this.ctx.storage.sql;
    const meta = new Map(
      sql
        .exec<{ key: string; value: string }>(`SELECT key, value FROM meta`)
        .toArray()
        .map((r) => [r.key, r.value]),
    );
    const rollouts = new Map<string, StoredRollout>();
    for (const row of sql.exec<{ id: string; record: string }>(`SELECT id, record FROM rollouts`)) {
      rollouts.set(row.id, JSON.parse(row.record) as StoredRollout);
    }
    return {
      version: Number(meta.get("version") ?? 0),
      globalKill: meta.has("globalKill") ? (JSON.parse(meta.get("globalKill")!) as GlobalKill) : EMPTY_STATE.globalKill,
      overrides: meta.has("overrides") ? (JSON.parse(meta.get("overrides")!) as OverrideSettings) : EMPTY_STATE.overrides,
      rollouts,
    };
  }

  private loadWindows(): HealthWindows {
    const windows: HealthWindows = {};
    const since = this.now().getTime() - RETENTION_MS;
    for (const row of this.ctx.storage.sql.exec<{ rollout_id: string; slot: number; stats: string }>(
      `SELECT rollout_id, slot, stats FROM health_slots WHERE slot > ? ORDER BY slot`,
      since,
    )) {
      const slots = windows[row.rollout_id] ?? [];
      // Rows written before the distinct-count sketches existed lack `users`, `errorUsers` and
      // `errorIps`: every reader of a slot takes a missing sketch as empty (reviveSketch).
      slots.push({ start: row.slot, stats: JSON.parse(row.stats) as Slot["stats"] });
      windows[row.rollout_id] = slots;
    }
    return windows;
  }

  /** Persist `next` (diffed against the current state) and its audit entry in one transaction. */
  private save(next: ControlState, audit: AuditEntry): void {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      for (const [id, rollout] of next.rollouts) {
        if (this.state.rollouts.get(id) !== rollout) {
          sql.exec(`INSERT OR REPLACE INTO rollouts (id, record) VALUES (?, ?)`, id, JSON.stringify(rollout));
        }
      }
      for (const id of this.state.rollouts.keys()) {
        if (!next.rollouts.has(id)) sql.exec(`DELETE FROM rollouts WHERE id = ?`, id);
      }
      sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)`, String(next.version));
      sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('globalKill', ?)`, JSON.stringify(next.globalKill));
      sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('overrides', ?)`, JSON.stringify(next.overrides));
      sql.exec(
        `INSERT INTO audit (at, actor, action, rollout_id, version, before, after, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        audit.at,
        audit.actor,
        audit.action,
        audit.rolloutId,
        audit.version,
        JSON.stringify(audit.before),
        JSON.stringify(audit.after),
        audit.reason,
      );
      sql.exec(`DELETE FROM audit WHERE seq <= (SELECT MAX(seq) FROM audit) - ?`, AUDIT_RETENTION);
    });
    this.state = next;
    this.snapshot = undefined;
    if ([...next.rollouts.values()].some(isWatched)) this.ctx.waitUntil(this.ensureAlarm());
  }

  /** Keeps the guard/stage alarm running while any rollout has a guard or stages. */
  private async ensureAlarm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(this.now().getTime() + GUARD_INTERVAL_MS);
  }

  /** Health counters from an isolate (at most about one call per isolate per second). */
  async recordHealth(flush: HealthFlush): Promise<void> {
    const now = this.now().getTime();
    const { windows, touched } = addFlush(this.windows, flush, now);
    this.windows = windows;
    const sql = this.ctx.storage.sql;
    for (const { rolloutId, slot } of touched) {
      sql.exec(`INSERT OR REPLACE INTO health_slots (rollout_id, slot, stats) VALUES (?, ?, ?)`, rolloutId, slot.start, JSON.stringify(slot.stats));
    }
  }

  /** Every GUARD_INTERVAL_MS: guards roll back unhealthy rollouts, stages move healthy ones on. */
  override async alarm(): Promise<void> {
    const now = this.now();
    const t = now.getTime();
    this.windows = prune(this.windows, t);
    this.ctx.storage.sql.exec(`DELETE FROM health_slots WHERE slot <= ?`, t - RETENTION_MS);
    for (const evaluation of evaluateRollouts(this.state, this.windows, t)) {
      const { rolloutId, verdict, plan, command, actor } = evaluation;
      let applied: string | undefined;
      if (command && actor) {
        const outcome = applyCommand(this.state, command, { now, actor });
        if (outcome.ok && outcome.changed) {
          this.save(outcome.state, outcome.audit);
          applied = outcome.audit.action;
        }
      }
      const key = `${verdict.status}|${plan?.action ?? ""}|${applied ?? ""}`;
      if (applied || this.lastLogged.get(rolloutId) !== key) {
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
    }
    if ([...this.state.rollouts.values()].some((r) => isWatched(r) && !r.config.killed)) {
      await this.ctx.storage.setAlarm(this.now().getTime() + GUARD_INTERVAL_MS);
    }
  }

  private record(r: StoredRollout): RolloutRecord {
    const now = this.now().getTime();
    return { ...r, status: rolloutStatus(r, this.state.globalKill), stage: stageView(r, this.state.globalKill, this.windows, now) };
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
    return {
      rollout: id,
      now: new Date(now).toISOString(),
      status: rolloutStatus(r, this.state.globalKill),
      ...summarize(this.windows, id, windowSeconds, now),
      since: new Date(guardSince(r)).toISOString(),
      verdict: guardVerdict(r, this.windows, now),
      stage: stageView(r, this.state.globalKill, this.windows, now),
      series: series(this.windows, id, SERIES_SLOTS, now),
    };
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
    if (knownVersion === this.state.version) return { status: "unchanged", version: knownVersion };
    this.snapshot ??= toSnapshot(this.state);
    return { status: "snapshot", snapshot: this.snapshot };
  }

  /** Apply one admin command as `actor`. */
  async apply(command: Command, actor: string): Promise<WriteReply> {
    this.ensureSeeded();
    const outcome = applyCommand(this.state, command, { now: this.now(), actor });
    if (!outcome.ok) return outcome;
    if (outcome.changed) this.save(outcome.state, outcome.audit);
    const created = outcome.changed && outcome.audit.action === "create";
    return {
      ok: true,
      changed: outcome.changed,
      created,
      version: this.state.version,
      rollout: outcome.rollout && this.record(outcome.rollout),
      globalKill: this.state.globalKill,
      notices: outcome.notices ?? [],
    };
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

  /** Audit entries, newest first. */
  async getAudit(query: AuditQuery = {}): Promise<AuditRecord[]> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    const rows = query.rolloutId
      ? this.ctx.storage.sql.exec<AuditRow>(`SELECT * FROM audit WHERE rollout_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, query.rolloutId, before, limit)
      : this.ctx.storage.sql.exec<AuditRow>(`SELECT * FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?`, before, limit);
    return rows.toArray().map((r) => ({
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      action: r.action as AuditEntry["action"],
      rolloutId: r.rollout_id,
      version: r.version,
      before: r.before === null ? null : JSON.parse(r.before),
      after: r.after === null ? null : JSON.parse(r.after),
      reason: r.reason,
    }));
  }
}

type AuditRow = {
  seq: number;
  at: string;
  actor: string;
  action: string;
  rollout_id: string | null;
  version: number;
  before: string | null;
  after: string | null;
  reason: string | null;
};
