/**
 * A rollout's health, legacy and new side by side: the table (one row per variant, columns from
 * one table), the guard's verdict, and the chart of the last minutes.
 */
import { h, svg } from "./dom";
import { ms, pct } from "./format";
import type { HealthPoint, HealthReport, Variant, VariantSummary, Verdict } from "./wire";

const VARIANTS: readonly Variant[] = ["legacy", "new"];

/** The numeric columns, left to right; a new column (shadow mismatches) is one more row. */
const COLUMNS: ReadonlyArray<{ head: string; cell: (v: VariantSummary) => string }> = [
  { head: "requests", cell: (v) => String(v.requests) },
  // Distinct users (an estimate): 600 requests from 1 user is not 600 users' experience.
  { head: "users", cell: (v) => (v.users === undefined ? "–" : String(v.users)) },
  { head: "errors", cell: (v) => pct(v.errorRate) },
  { head: "p50", cell: (v) => ms(v.p50) },
  { head: "p95", cell: (v) => ms(v.p95) },
  { head: "p99", cell: (v) => ms(v.p99) },
];

/** The table, the window it covers and the guard's verdict; a hint when the report is missing. */
export function healthTable(report: HealthReport | null): HTMLElement {
  if (!report) return h("p", { class: "muted" }, "No health data.");
  const head = h("tr", {}, h("th", {}, "variant"), ...COLUMNS.map((c) => h("th", { class: "num" }, c.head)));
  const rows = VARIANTS.map((name) => h("tr", {}, h("td", { class: `variant-${name}` }, name), ...COLUMNS.map((c) => h("td", { class: "num" }, c.cell(report[name])))));
  const { status, summary } = report.verdict;
  return h(
    "div",
    {},
    h("table", {}, h("thead", {}, head), h("tbody", {}, ...rows)),
    h("p", { class: "muted window" }, `last ${report.windowSeconds} s${report.since ? `; the guard counts traffic since ${new Date(report.since).toLocaleTimeString()}` : ""}`),
    h("div", { class: `verdict ${status}`, "data-testid": "verdict" }, h("strong", {}, status), ` ${summary}`),
    warningList(report.verdict.warnings),
  );
}

/** The guard's warnings (warn limits exceeded): they never act, so they are shown apart from the verdict. */
function warningList(warnings: Verdict["warnings"]): HTMLElement | null {
  if (!warnings?.length) return null;
  return h("ul", { class: "warnings", "data-testid": "warnings" }, ...warnings.map((w) => h("li", {}, h("strong", {}, "warning"), ` ${w.sentence}`)));
}

const CHART = { width: 480, height: 90, pad: 4 } as const;

/** The lines: requests per slot (solid) and error rate (dashed, on its own scale). */
const LINES: ReadonlyArray<{ variant: Variant; field: "requests" | "errorRate"; color: string; width: number; dashed: boolean }> = [
  { variant: "legacy", field: "requests", color: "#b26b00", width: 2, dashed: false },
  { variant: "new", field: "requests", color: "#0a7d3b", width: 2, dashed: false },
  { variant: "legacy", field: "errorRate", color: "#b26b00", width: 1.5, dashed: true },
  { variant: "new", field: "errorRate", color: "#c4281c", width: 1.5, dashed: true },
];

function pathOf(series: readonly HealthPoint[], variant: Variant, field: "requests" | "errorRate", max: number): string {
  const { width, height, pad } = CHART;
  const x = (i: number) => pad + (i * (width - 2 * pad)) / (series.length - 1);
  const y = (v: number | null) => height - pad - ((v ?? 0) / max) * (height - 2 * pad);
  return series.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)} ${y(p[variant][field]).toFixed(1)}`).join(" ");
}

/** The chart and its legend; a hint while there are fewer than two points. */
export function chart(series: readonly HealthPoint[] | undefined): Node {
  if (!series || series.length < 2) return h("p", { class: "muted" }, "No traffic yet.");
  const maxRequests = Math.max(1, ...series.flatMap((p) => [p.legacy.requests, p.new.requests]));
  const peak = Math.max(0, ...series.flatMap((p) => [p.legacy.errorRate ?? 0, p.new.errorRate ?? 0]));
  const maxRate = Math.max(peak, 0.01);
  const slot = Math.round((Date.parse(series[1]!.at) - Date.parse(series[0]!.at)) / 1000);
  const minutes = Math.round((series.length * slot) / 60);
  const paths = LINES.map((l) =>
    svg("path", {
      d: pathOf(series, l.variant, l.field, l.field === "requests" ? maxRequests : maxRate),
      fill: "none",
      stroke: l.color,
      "stroke-width": l.width,
      "stroke-dasharray": l.dashed && "4 3",
    }),
  );
  const label = `requests and error rate per variant over the last ${minutes} minutes`;
  const rates = peak > 0 ? `, peak ${pct(peak)}` : ", no errors";
  return h(
    "div",
    {},
    svg("svg", { class: "chart", viewBox: `0 0 ${CHART.width} ${CHART.height}`, preserveAspectRatio: "none", role: "img", "aria-label": label }, ...paths),
    h(
      "div",
      { class: "legend muted" },
      h("span", { class: "variant-legacy" }, "legacy"),
      h("span", { class: "variant-new" }, "new"),
      `last ${minutes} min: requests per ${slot} s (solid, peak ${maxRequests}), error rate (dashed${rates})`,
    ),
  );
}
