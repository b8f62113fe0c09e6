/**
 * The `external` section of a health report: each external check and probe as the last alarm left
 * it, for the admin API, the dashboard and `edge-router status`. Pure.
 */
import type { ExternalCheck, Probe } from "../../../contracts/external";
import type { ExternalCheckView, ExternalReport, ExternalVerdictView, ProbeView } from "../../../contracts/external-wire";
import type { StoredRollout } from "../../../contracts/rollout";
import { probeBreaches, probesPassing, type ProbeState } from "./probes";
import { externalVerdict, format, INITIAL_CHECK_STATE, type CheckState } from "./verdict";
import type { ExternalInputs } from "./watch";

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
/** JSON has no Infinity: a non-finite number goes as null (the texts beside it say "+Inf"). */
const jsonValue = <T>(v: T): T | null => (typeof v === "number" && !Number.isFinite(v) ? null : v);

/** "max 5,000", "min 1, max 5", "equals true". */
export function limitText(check: ExternalCheck): string {
  if (check.equals !== undefined) return `equals ${check.equals}`;
  const parts = [check.min !== undefined ? `min ${format(check.min)}` : null, check.max !== undefined ? `max ${format(check.max)}` : null];
  return parts.filter(Boolean).join(", ");
}

function checkView(check: ExternalCheck, state: CheckState): ExternalCheckView {
  const value = state.lastValue;
  return {
    name: check.name,
    provider: check.provider,
    description: check.description ?? null,
    limit: limitText(check),
    verdict: state.verdict,
    value: jsonValue(value),
    valueText: value === null ? null : format(value),
    valueAt: iso(state.lastAt),
    error: state.lastError,
    consecutiveFailures: state.consecutiveFailures,
    failureLimit: check.failureLimit,
    polledAt: iso(state.lastPolledAt),
  };
}

function probeView(probe: Probe, state: ProbeState | undefined): ProbeView {
  return {
    name: probe.name,
    variant: probe.variant,
    method: probe.method,
    path: probe.path,
    results: state?.results ?? [],
    consecutiveFailures: state?.consecutiveFailures ?? 0,
    failureThreshold: probe.failureThreshold,
    passing: probesPassing([probe], state ? { [probe.name]: state } : {}),
    lastAt: iso(state?.lastAt ?? null),
    lastStatus: state?.lastStatus ?? null,
    lastError: state?.lastError ?? null,
  };
}

function wireVerdict(verdict: ExternalVerdictView): ExternalVerdictView {
  return { ...verdict, breaches: verdict.breaches.map((b) => ({ ...b, value: jsonValue(b.value), limit: jsonValue(b.limit) })) };
}

/** The rollout's external checks and probes (results since `since`, epoch ms); null when it has neither. */
export function externalReport(r: StoredRollout, ext: ExternalInputs, since: number): ExternalReport | null {
  const checks = r.config.guard?.external ?? [];
  const probes = r.config.probes ?? [];
  if (!checks.length && !probes.length) return null;
  return {
    since: new Date(since).toISOString(),
    checks: checks.map((check) => checkView(check, ext.checks[check.name] ?? INITIAL_CHECK_STATE)),
    verdict: checks.length ? wireVerdict(externalVerdict(checks, ext.checks)) : null,
    probes: probes.map((probe) => probeView(probe, ext.probes[probe.name])),
    probesPassing: probesPassing(probes, ext.probes),
    probeFailures: probeBreaches(probes, ext.probes).map((b) => b.sentence),
  };
}
