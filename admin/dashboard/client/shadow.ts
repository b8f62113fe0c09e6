/**
 * A rollout's shadow traffic on its card: how often new answered differently from legacy over the
 * last minutes (all prefixes, then each), and the newest mismatches with where they differ.
 */
import { h } from "./dom";
import { ago, ms, pct } from "./format";
import type { ShadowExample, ShadowReport } from "./wire";

/** Mismatch examples shown per card (the API keeps up to 20). */
const EXAMPLES_SHOWN = 5;

/** "3.2% of 380 comparisons differed · 4 unanswered", or why there is no rate yet. */
function headline(report: ShadowReport): string {
  const t = report.totals;
  const unanswered = t.errors ? ` · ${t.errors} unanswered` : "";
  if (t.compared === 0) return `no comparisons in the last ${Math.round(report.windowSeconds / 60)} min${unanswered}`;
  return `${t.mismatched} of ${t.compared} comparisons differed in the last ${Math.round(report.windowSeconds / 60)} min${unanswered}`;
}

function prefixTable(report: ShadowReport): HTMLElement | null {
  if (!report.prefixes.length) return null;
  const head = h("tr", {}, ...["prefix", "mirrored", "differed", "unanswered", "mismatch rate", "p95 legacy", "p95 new"].map((c, i) => h("th", { class: i ? "num" : "" }, c)));
  const rows = report.prefixes.map((p) =>
    h(
      "tr",
      {},
      h("td", {}, h("code", {}, p.prefix)),
      h("td", { class: "num" }, String(p.mirrored)),
      h("td", { class: "num" }, String(p.mismatched)),
      h("td", { class: "num" }, String(p.errors)),
      h("td", { class: "num" }, pct(p.mismatchRate)),
      h("td", { class: "num" }, ms(p.latencyMs.legacy.p95)),
      h("td", { class: "num" }, ms(p.latencyMs.new.p95)),
    ),
  );
  return h("table", { class: "shadow-prefixes" }, h("thead", {}, head), h("tbody", {}, ...rows));
}

function example(e: ShadowExample, now: number): HTMLElement {
  const where = e.kind === "status" ? `status ${e.legacyStatus} → ${e.newStatus}` : `${e.kind} ${e.pointer ?? "(whole body)"}`;
  return h(
    "li",
    { "data-testid": "shadow-example" },
    h("span", { class: "muted" }, `${ago(e.at, now)} · ${e.method} `),
    h("code", {}, e.path),
    ` · ${where}: `,
    h("code", { class: "variant-legacy" }, e.legacyValue ?? "(absent)"),
    " → ",
    h("code", { class: "variant-new" }, e.newValue ?? "(absent)"),
  );
}

/** The shadow panel, or nothing for a rollout that mirrors no traffic. */
export function shadowPanel(report: ShadowReport | null, now: number): HTMLElement | null {
  if (!report?.shadow || report.shadow.percent === 0) return null;
  const rate = report.totals.mismatchRate;
  const examples = report.examples.slice(0, EXAMPLES_SHOWN);
  return h(
    "section",
    { class: "shadow", "data-testid": "shadow" },
    h(
      "div",
      { class: "row" },
      h("strong", {}, "shadow"),
      h("span", { class: `badge ${rate === null ? "complete" : rate > 0 ? "killed" : "live"}`, "data-testid": "shadow-rate" }, `${pct(rate)} mismatched`),
      h("span", { class: "muted" }, `${report.shadow.percent}% of legacy users mirrored to new · ${headline(report)}`),
    ),
    prefixTable(report),
    examples.length ? h("ul", { class: "shadow-examples" }, ...examples.map((e) => example(e, now))) : null,
  );
}
