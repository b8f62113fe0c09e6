/**
 * A rollout's eyes beyond the proxy on its card: each external check (value against its limit,
 * verdict, when) and each probe (its last runs), as the last alarm left them.
 */
import { h } from "./dom";
import { ago } from "./format";
import type { ExternalCheckView, ExternalReport, ProbeView } from "./wire";

/** The verdict classes the styles colour: pass green, fail red, the rest grey. */
const VERDICT_CLASS: Record<string, string> = { pass: "healthy", fail: "breach", pending: "inconclusive", inconclusive: "inconclusive" };

function checkRow(check: ExternalCheckView, now: number): HTMLElement {
  const value = check.valueText === null ? "–" : check.valueText;
  const failures = check.consecutiveFailures > 0 && check.verdict !== "fail" ? ` (${check.consecutiveFailures} of ${check.failureLimit} failures)` : "";
  return h(
    "tr",
    { "data-check": check.name },
    h("td", {}, h("strong", {}, check.name), " ", h("span", { class: "muted" }, check.provider)),
    h("td", {}, h("span", { class: `verdict-chip ${VERDICT_CLASS[check.verdict] ?? "inconclusive"}` }, check.verdict), failures),
    h("td", { class: "num" }, value),
    h("td", { class: "muted" }, check.limit),
    h("td", { class: "muted" }, check.error ?? ago(check.valueAt, now)),
  );
}

function probeRow(probe: ProbeView, now: number): HTMLElement {
  const failing = probe.variant === "new" && probe.consecutiveFailures >= probe.failureThreshold;
  const state = failing ? "failing" : probe.passing ? "passing" : "not passing yet";
  const runs = probe.results.map((ok) => (ok ? "✓" : "✗")).join("") || "–";
  const last = probe.lastAt ? `${probe.lastError ?? `HTTP ${probe.lastStatus}`} · ${ago(probe.lastAt, now)}` : "not run yet";
  return h(
    "tr",
    { "data-probe": probe.name },
    h("td", {}, h("strong", {}, probe.name), " ", h("span", { class: "muted" }, `${probe.method} ${probe.path} on ${probe.variant}`)),
    h("td", {}, h("span", { class: `verdict-chip ${failing ? "breach" : probe.passing ? "healthy" : "inconclusive"}` }, state)),
    h("td", { class: "num", title: `the last ${probe.failureThreshold} runs, oldest first` }, runs),
    h("td", { class: "muted" }, `${probe.failureThreshold} in a row`),
    h("td", { class: "muted" }, last),
  );
}

/** The section, or null when the rollout has no external checks or probes. */
export function externalSection(report: ExternalReport | null | undefined, now: number): HTMLElement | null {
  if (!report) return null;
  const head = (first: string) => h("tr", {}, ...[first, "state", "value", "limit", "last"].map((t, i) => h("th", { class: i === 2 ? "num" : "" }, t)));
  return h(
    "div",
    { class: "external", "data-testid": "external" },
    report.checks.length > 0 && h("table", {}, h("thead", {}, head("external check")), h("tbody", {}, ...report.checks.map((c) => checkRow(c, now)))),
    report.probes.length > 0 && h("table", {}, h("thead", {}, head("probe")), h("tbody", {}, ...report.probes.map((p) => probeRow(p, now)))),
    h("p", { class: "muted window" }, `results since ${new Date(report.since).toLocaleTimeString()} (the last resume, continue or percentage change)`),
  );
}
