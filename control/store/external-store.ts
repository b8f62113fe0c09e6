/**
 * The tables of guards beyond the proxy (migration 6): `external_states` (each external check's and
 * probe's state, as the alarm left it), `external_marks` (since when a rollout's results count) and
 * `signal_values` (the values pushed per signal, at most MAX_SIGNAL_VALUES each). See STORAGE.md.
 */
import type { CheckState, SignalValue } from "../policy/external/verdict";
import type { ProbeState } from "../policy/external/probes";
import type { ResetMark } from "../policy/external/watch";

/** A pushed value as stored: who pushed it too (absent in rows without one). */
export interface StoredSignal extends SignalValue {
  by?: string;
}

export interface RolloutStates {
  checks: Record<string, CheckState>;
  probes: Record<string, ProbeState>;
}

type Kind = "check" | "probe";

// JSON has no Infinity, and Prometheus answers +Inf: such a value is stored as the string "+Inf".
const NON_FINITE: Record<string, number> = { "+Inf": Infinity, "-Inf": -Infinity };
const encode = (record: CheckState | ProbeState) =>
  JSON.stringify(record, (_, v) => (typeof v === "number" && !Number.isFinite(v) && !Number.isNaN(v) ? (v > 0 ? "+Inf" : "-Inf") : v));
const decodeCheck = (text: string): CheckState => {
  const state = JSON.parse(text) as CheckState & { lastValue: unknown };
  const lastValue = typeof state.lastValue === "string" ? (NON_FINITE[state.lastValue] ?? null) : state.lastValue;
  return { ...state, lastValue: lastValue as CheckState["lastValue"] };
};

/** Every rollout's states. */
export function loadStates(sql: SqlStorage): Map<string, RolloutStates> {
  const out = new Map<string, RolloutStates>();
  const rows = sql.exec<{ rollout_id: string; kind: Kind; name: string; record: string }>(`SELECT rollout_id, kind, name, record FROM external_states`).toArray();
  for (const row of rows) {
    const entry = out.get(row.rollout_id) ?? { checks: {}, probes: {} };
    if (row.kind === "check") entry.checks[row.name] = decodeCheck(row.record);
    else entry.probes[row.name] = JSON.parse(row.record) as ProbeState;
    out.set(row.rollout_id, entry);
  }
  return out;
}

/** Replaces a rollout's states (a check or probe no longer configured loses its row). */
export function saveStates(storage: DurableObjectStorage, rolloutId: string, states: RolloutStates): void {
  const sql = storage.sql;
  storage.transactionSync(() => {
    sql.exec(`DELETE FROM external_states WHERE rollout_id = ?`, rolloutId);
    const rows: Array<[Kind, Record<string, CheckState | ProbeState>]> = [
      ["check", states.checks],
      ["probe", states.probes],
    ];
    for (const [kind, records] of rows) {
      for (const [name, record] of Object.entries(records)) {
        sql.exec(`INSERT INTO external_states (rollout_id, kind, name, record) VALUES (?, ?, ?, ?)`, rolloutId, kind, name, encode(record));
      }
    }
  });
}

export function loadMarks(sql: SqlStorage): Map<string, ResetMark> {
  const rows = sql.exec<{ rollout_id: string; record: string }>(`SELECT rollout_id, record FROM external_marks`).toArray();
  return new Map(rows.map((r) => [r.rollout_id, JSON.parse(r.record) as ResetMark]));
}

export function saveMark(sql: SqlStorage, rolloutId: string, mark: ResetMark): void {
  sql.exec(`INSERT OR REPLACE INTO external_marks (rollout_id, record) VALUES (?, ?)`, rolloutId, JSON.stringify(mark));
}

/** A rollout's pushed values of one signal, oldest first. */
export function loadSignal(sql: SqlStorage, rolloutId: string, name: string): StoredSignal[] {
  const rows = sql
    .exec<{ at: number; value: string; note: string | null; pushed_by: string | null }>(
      `SELECT at, value, note, pushed_by FROM signal_values WHERE rollout_id = ? AND name = ? ORDER BY at, seq`,
      rolloutId,
      name,
    )
    .toArray();
  return rows.map((r) => ({
    value: JSON.parse(r.value) as number | boolean,
    at: r.at,
    ...(r.note !== null ? { note: r.note } : {}),
    ...(r.pushed_by !== null ? { by: r.pushed_by } : {}),
  }));
}

/** The names of a rollout's signals that hold values, sorted. */
export function signalNames(sql: SqlStorage, rolloutId: string): string[] {
  return sql
    .exec<{ name: string }>(`SELECT DISTINCT name FROM signal_values WHERE rollout_id = ? ORDER BY name`, rolloutId)
    .toArray()
    .map((r) => r.name);
}

/** Replaces one signal's values (the newest MAX_SIGNAL_VALUES, as recordSignal kept them). */
export function saveSignal(storage: DurableObjectStorage, rolloutId: string, name: string, values: readonly StoredSignal[]): void {
  const sql = storage.sql;
  storage.transactionSync(() => {
    sql.exec(`DELETE FROM signal_values WHERE rollout_id = ? AND name = ?`, rolloutId, name);
    for (const v of values) {
      sql.exec(
        `INSERT INTO signal_values (rollout_id, name, at, value, note, pushed_by) VALUES (?, ?, ?, ?, ?, ?)`,
        rolloutId,
        name,
        v.at,
        JSON.stringify(v.value),
        v.note ?? null,
        v.by ?? null,
      );
    }
  });
}

/** A deleted rollout's states, marks and signals go with it. */
export function deleteExternal(sql: SqlStorage, rolloutId: string): void {
  for (const table of ["external_states", "external_marks", "signal_values"]) sql.exec(`DELETE FROM ${table} WHERE rollout_id = ?`, rolloutId);
}
