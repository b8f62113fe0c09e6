/**
 * How `edge-router status <id>` shows a rollout's external checks and probes (the `external`
 * section of its health report): one line each, the state first. Pure.
 */
import type { ExternalCheckView, ExternalReport, ProbeView } from "../contracts/external-wire";
import type { Colors } from "./format";

/** "12 s ago", "4 min ago", "2.0 h ago"; "" without a time. */
export function ago(iso: string | null, now: Date): string {
  if (!iso) return "";
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
}

function colorVerdict(verdict: string, c: Colors): string {
  if (verdict === "pass") return c.green(verdict);
  if (verdict === "fail") return c.bold(c.red(verdict));
  return c.yellow(verdict);
}

/** "queue_depth (prometheus)  pass  1,200 (max 5,000), 12 s ago" */
export function checkLine(check: ExternalCheckView, c: Colors, now: Date): string {
  const value = check.valueText !== null ? `${check.valueText} (${check.limit})${check.valueAt ? `, ${ago(check.valueAt, now)}` : ""}` : `(${check.limit})`;
  const failures = check.consecutiveFailures > 0 && check.verdict !== "fail" ? `, ${check.consecutiveFailures} of ${check.failureLimit} failures` : "";
  const error = check.error ? `: ${check.error}` : "";
  return `${check.name} (${check.provider})  ${colorVerdict(check.verdict, c)}  ${value}${failures}${error}`;
}

/** "health on new (GET /healthz)  passing  2 of 2 runs passed, last HTTP 200 5 s ago" */
export function probeLine(probe: ProbeView, c: Colors, now: Date): string {
  const failing = probe.variant === "new" && probe.consecutiveFailures >= probe.failureThreshold;
  const state = failing ? c.bold(c.red("failing")) : probe.passing ? c.green("passing") : c.yellow("not passing yet");
  const passed = probe.results.filter(Boolean).length;
  const runs = probe.consecutiveFailures ? `${probe.consecutiveFailures} failures in a row` : `${passed} of ${probe.failureThreshold} runs passed`;
  const last = probe.lastAt ? `, last ${probe.lastError ?? `HTTP ${probe.lastStatus}`} ${ago(probe.lastAt, now)}` : ", not run yet";
  return `${probe.name} on ${probe.variant} (${probe.method} ${probe.path})  ${state}  ${runs}${last}`;
}

/** The lines `status <id>` adds: labelled like its other lines, continuation lines indented. */
export function externalLines(report: ExternalReport, c: Colors, now: Date): string[] {
  const lines: string[] = [];
  const block = (label: string, items: string[]) => {
    items.forEach((item, i) => {
      lines.push(`  ${(i === 0 ? label : "").padEnd(12)}${item}`);
    });
  };
  block(
    "external",
    report.checks.map((check) => checkLine(check, c, now)),
  );
  block(
    "probes",
    report.probes.map((probe) => probeLine(probe, c, now)),
  );
  if (report.checks.length || report.probes.length)
    lines.push(c.dim(`  ${"".padEnd(12)}results since ${report.since.slice(0, 19).replace("T", " ")} UTC (the last resume, continue or percentage change)`));
  return lines;
}
