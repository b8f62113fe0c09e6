/**
 * `edge-router shadow <id>`: the rollout's shadow traffic over a window: one row per matched path
 * prefix (mirrors, how many differed and how, unanswered, mismatch rate, both p95s), then the
 * newest mismatches with where they differ and both values. With --json: the API's answer as is.
 */
import type { ShadowReport } from "../../contracts/admin-wire";
import { intOption } from "../args";
import type { Shape } from "../shapes";
import type { Context } from "../context";
import { millis, ratio, table, utc, type Colors } from "../format";

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export const isShadowReport: Shape<ShadowReport> = (v): v is ShadowReport =>
  isRecord(v) && typeof v.windowSeconds === "number" && Array.isArray(v.prefixes) && Array.isArray(v.examples) && isRecord(v.totals);

/** Kinds of the mismatches of a prefix: "body 12, status 1". */
function kinds(byKind: Record<string, number>): string {
  const parts = Object.entries(byKind)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`);
  return parts.length ? parts.join(", ") : "-";
}

/** The first line: the rollout, its sample, the window, the mismatch rate over every prefix. */
function headline(id: string, r: ShadowReport, c: Colors): string {
  const t = r.totals;
  const sample = r.shadow?.percent ? `shadow ${r.shadow.percent}% of legacy users` : c.yellow("mirrors no traffic now");
  const rate = t.mismatchRate === null ? c.dim("no comparisons") : t.mismatchRate > 0 ? c.red(`${ratio(t.mismatchRate)} mismatched`) : c.green("0% mismatched");
  return `${c.bold(id)}  ${sample}  last ${r.windowSeconds} s  ${rate} (${t.mismatched} of ${t.compared} comparisons, ${t.errors} unanswered)`;
}

/** The report as text: a headline, the per-prefix table, the examples. */
export function formatShadow(id: string, r: ShadowReport, c: Colors): string {
  if (!r.shadow?.percent && !r.prefixes.length) {
    return `${c.bold(id)}  mirrors no traffic: set "shadow": { "percent": 5 } on the rollout to compare new's answers with legacy's`;
  }
  const head = headline(id, r, c);
  const rows = r.prefixes.map((p) => [
    p.prefix,
    String(p.mirrored),
    String(p.matched),
    p.mismatched > 0 ? c.red(String(p.mismatched)) : "0",
    kinds(p.byKind),
    String(p.errors),
    ratio(p.mismatchRate),
    millis(p.latencyMs.legacy.p95),
    millis(p.latencyMs.new.p95),
  ]);
  const lines = [head];
  if (rows.length) lines.push("", table(["PREFIX", "MIRRORED", "MATCHED", "DIFFERED", "KINDS", "UNANSWERED", "MISMATCH", "P95 LEGACY", "P95 NEW"], rows, [1, 2, 3, 5, 6, 7, 8]));
  if (r.examples.length) {
    lines.push("", c.bold("newest mismatches"));
    for (const e of r.examples) {
      const where = e.kind === "status" ? `status ${e.legacyStatus} → ${e.newStatus}` : `${e.kind} ${e.pointer ?? "(whole body)"}`;
      lines.push(`${c.dim(utc(e.at))}  ${e.method} ${e.path}  ${where}`, `    legacy ${e.legacyValue ?? "(absent)"}`, `    new    ${e.newValue ?? "(absent)"}`);
    }
  }
  return lines.join("\n");
}

export async function shadow(ctx: Context): Promise<void> {
  const id = ctx.args[0]!;
  const window = intOption(ctx.values, "window", 300, 10, 3600);
  const { body } = await ctx.client().get(`/rollouts/${encodeURIComponent(id)}/shadow?window=${window}`, isShadowReport, { feature: "shadow (no shadow endpoint)" });
  ctx.io.out(ctx.settings.json ? JSON.stringify(body, null, 2) : formatShadow(id, body, ctx.c));
}
