/**
 * The Durable Object's health and shadow windows, as a thin shell: the per-variant counters and
 * shadow comparisons that isolates and replicas flush, kept in memory and in SQLite
 * (./store/health-store.ts, ./store/shadow-store.ts), pruned by the alarm, and what guards, stages
 * and the health and shadow reports read from them. The rules are pure, in
 * ./policy/health-windows.ts, ./policy/shadow-windows.ts and ./policy/schedule.ts.
 */
import type { HealthReport, ShadowReport, StageView } from "../contracts/admin-wire";
import type { HealthFlush } from "../contracts/health";
import type { GlobalKill, StoredRollout } from "../contracts/rollout";
import type { ControlState } from "./policy/commands";
import { externalReport } from "./policy/external/report";
import type { ExternalInputs } from "./policy/external/watch";
import { addFlush, prune, RETENTION_MS, series, summarize, type HealthWindows } from "./policy/health-windows";
import { evaluateRollouts, guardSince, guardVerdict, rolloutStatus, stageView, type Evaluation } from "./policy/schedule";
import { addShadowFlush, forgetShadow, pruneShadow, shadowReportOver, type ShadowWindows } from "./policy/shadow-windows";
import { dropSlotsBefore, loadWindows, saveSlots } from "./store/health-store";
import { deleteShadow, dropShadowBefore, loadShadow, saveShadow } from "./store/shadow-store";

/** Slots in a health report's chart series: the last five minutes, whatever the summary's window. */
export const SERIES_SLOTS = 30;

export class HealthBook {
  private windows: HealthWindows;
  private shadow: ShadowWindows;

  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number,
  ) {
    this.windows = loadWindows(sql, now());
    this.shadow = loadShadow(sql, now());
  }

  /** One flush of health counters, and of shadow comparisons when it carries any. */
  record(flush: HealthFlush): void {
    const now = this.now();
    const { windows, touched } = addFlush(this.windows, flush, now);
    this.windows = windows;
    saveSlots(this.sql, touched);
    if (!flush.shadow) return;
    const shadow = addShadowFlush(this.shadow, flush.shadow, now);
    this.shadow = shadow.windows;
    saveShadow(this.sql, shadow.touched, now);
  }

  /** Drops what is older than the history kept (RETENTION_MS before `now`), in memory and stored. */
  prune(now: number): void {
    this.windows = prune(this.windows, now);
    this.shadow = pruneShadow(this.shadow, now);
    dropSlotsBefore(this.sql, now - RETENTION_MS);
    dropShadowBefore(this.sql, now - RETENTION_MS);
  }

  /** A deleted rollout's shadow comparisons go with it. */
  forget(rolloutId: string): void {
    this.shadow = forgetShadow(this.shadow, rolloutId);
    deleteShadow(this.sql, rolloutId);
  }

  /** The alarm's decisions at `now` over every watched rollout (./policy/schedule.ts evaluateRollouts). */
  evaluate(state: ControlState, now: number, external: (id: string) => ExternalInputs): Evaluation[] {
    return evaluateRollouts(state, this.windows, now, external, this.shadow);
  }

  /** Where a staged rollout stands now; null without stages. */
  stage(r: StoredRollout, globalKill: GlobalKill, ext: ExternalInputs): StageView | null {
    return stageView(r, globalKill, this.windows, this.now(), ext, this.shadow);
  }

  /**
   * Both variants of a rollout over the last `windowSeconds` (all of it, for the operator), with
   * the guard's verdict exactly as the alarm computes it (its own window, only traffic since
   * `since`).
   */
  healthReport(r: StoredRollout, globalKill: GlobalKill, windowSeconds: number, ext: ExternalInputs): HealthReport {
    const now = this.now();
    const id = r.config.id;
    return {
      rollout: id,
      now: new Date(now).toISOString(),
      status: rolloutStatus(r, globalKill),
      ...summarize(this.windows, id, windowSeconds, now),
      since: new Date(guardSince(r)).toISOString(),
      verdict: guardVerdict(r, this.windows, now, ext, this.shadow),
      stage: stageView(r, globalKill, this.windows, now, ext, this.shadow),
      series: series(this.windows, id, SERIES_SLOTS, now),
      external: externalReport(r, ext, guardSince(r)),
    };
  }

  /** A rollout's shadow comparisons over the last `windowSeconds`, per prefix, with the newest examples. */
  shadowReport(r: StoredRollout, windowSeconds: number): ShadowReport {
    const now = this.now();
    const id = r.config.id;
    return { rollout: id, now: new Date(now).toISOString(), shadow: r.config.shadow ?? null, ...shadowReportOver(this.shadow, id, windowSeconds, now) };
  }
}
