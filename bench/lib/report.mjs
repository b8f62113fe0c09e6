// Markdown for the generated part of BENCHMARKS.md: only what this run measured. The hand-written
// analysis lives outside the markers and is never touched.

/** Opening marker of the generated part of BENCHMARKS.md. */
export const START = "<!-- bench:generated:start -->";
/** Closing marker of the generated part of BENCHMARKS.md. */
export const END = "<!-- bench:generated:end -->";

/**
 * @typedef {{ target: string, measured: string, met: boolean | null }} Target met null: not measured
 * @typedef {{ rows: Record<string, string>[], targets: Target[], raw: unknown, method?: string, notes?: string[] }} BenchResult
 * @typedef {{ name: string, title: string, seconds: number, result?: BenchResult, error?: string }} Section
 */

/**
 * A number with thousands separators and a fixed number of decimals; "—" when missing.
 * @param {number | null | undefined} n
 * @param {number} [digits] @default 0
 * @example fmt(61260.4) // "61,260"
 */
export function fmt(n, digits = 0) {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return Number(n).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * `a / b` as "0.75×"; "—" when either is missing.
 * @param {number | null | undefined} a
 * @param {number | null | undefined} b
 * @param {number} [digits] @default 2
 */
export function ratio(a, b, digits = 2) {
  if (a === null || a === undefined || !b) return "—";
  return `${fmt(a / b, digits)}×`;
}

/**
 * A target row. `met` is decided by the caller from this run's numbers; null when not measured.
 * @param {string} target @param {string} measured @param {boolean | null} met
 * @returns {Target}
 */
export function target(target, measured, met) {
  return { target, measured, met };
}

const NUMERIC = /^(—|[−+-]?[\d,.]+( ?(×|%|ms|µs|KB|s))?)$/;

/**
 * A Markdown table from rows keyed by column header (the first row's keys, in order); columns
 * whose cells are all numbers are right-aligned.
 * @param {Record<string, string>[]} rows
 * @returns {string}
 */
export function renderTable(rows) {
  if (!rows.length) return "";
  const columns = Object.keys(rows[0]);
  const align = columns.map((c) => (rows.every((r) => NUMERIC.test(String(r[c] ?? ""))) ? "---:" : "---"));
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(columns), line(align), ...rows.map((r) => line(columns.map((c) => r[c] ?? "")))].join("\n");
}

/** @param {boolean | null} met */
function verdict(met) {
  if (met === null) return "not measured";
  return met ? "met" : "**missed**";
}

/**
 * @param {Section} section
 * @param {number} index 1-based
 * @returns {string}
 */
export function renderSection(section, index) {
  const head = `### ${index}. ${section.title}`;
  if (!section.result) return `${head}\n\n**Failed in this run:** ${section.error}`;
  const { method, rows, notes = [] } = section.result;
  return [head, method, renderTable(rows), notes.map((n) => `- ${n}`).join("\n")].filter(Boolean).join("\n\n");
}

/**
 * @param {{ command: string, date: string, quick: boolean, only: string[] | null, profile: Record<string, number> }} run
 * @param {{ cpuModel: string, cores: number, memGiB: number, kernel: string, loadAverage: number, versions: Record<string, string> }} machine
 * @param {Section[]} sections
 * @returns {string} the block between and including the markers
 */
export function renderGenerated(run, machine, sections) {
  const targets = sections.flatMap((s) => s.result?.targets ?? []);
  const versions = Object.entries(machine.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const rounds = run.profile.rounds > 1 ? ` in each of ${run.profile.rounds} rounds (sections 1, 7 and 8)` : "";
  const kind = run.quick
    ? `**Quick run** (\`--quick\`): ${run.profile.warmupSeconds} s warm-up and ${run.profile.durationSeconds} s of load per contender${rounds}, ${run.profile.kills} kills, ${fmt(run.profile.decisions)} decisions. Indicative only; \`npm run bench\` gives the figures to compare.`
    : `Full run: ${run.profile.warmupSeconds} s warm-up and ${run.profile.durationSeconds} s of load per contender${rounds}, ${run.profile.kills} kills, ${fmt(run.profile.decisions)} decisions.`;
  const subset = run.only ? ` **Subset:** only ${run.only.join(", ")}.` : "";
  return [
    `${START}\n<!-- Rewritten by every \`npm run bench\` (bench/run.mjs). Edit outside the markers. -->`,
    "## Results (generated)",
    `Produced by \`${run.command}\` on ${run.date}. ${kind}${subset}`,
    `Machine: ${machine.cores} × ${machine.cpuModel}, ${machine.memGiB} GiB, ${machine.kernel}; 1-minute load average ${fmt(machine.loadAverage, 2)} before the run. Versions: ${versions}.`,
    ...sections.map((s, i) => renderSection(s, i + 1)),
    "### Targets",
    targets.length ? renderTable(targets.map((t) => ({ target: t.target, "this run": t.measured, result: verdict(t.met) }))) : "(no target measured)",
    END,
  ].join("\n\n");
}

/**
 * Replaces the generated part of `text` with `generated`, leaving everything outside the markers
 * as it was. A file without markers gets the block after its first heading (or becomes it).
 * @param {string} text current file ("" when absent)
 * @param {string} generated the new block, markers included (output of renderGenerated)
 * @param {{ start: string, end: string }} [markers] @default the BENCHMARKS.md markers
 * @returns {string}
 */
export function replaceGenerated(text, generated, markers = { start: START, end: END }) {
  const start = text.indexOf(markers.start);
  const end = text.indexOf(markers.end);
  if (start !== -1 && end > start) return text.slice(0, start) + generated + text.slice(end + markers.end.length);
  if (start !== -1 || end !== -1) throw new Error(`only one of the markers ${markers.start} / ${markers.end} is in the file: fix it by hand.`);
  const heading = text.match(/^# .*\n/m);
  if (!heading) return `# Benchmarks\n\n${generated}\n${text ? `\n${text}` : ""}`;
  const at = /** @type {number} */ (heading.index) + heading[0].length;
  return `${text.slice(0, at)}\n${generated}\n${text.slice(at)}`;
}

/** Markers of the read-tier table in docs/scale.md. */
export const SCALE_MARKERS = { start: "<!-- bench:start -->", end: "<!-- bench:end -->" };

/**
 * The block docs/scale.md shows between its markers: one section's table and notes, with the run
 * that produced it.
 * @param {{ command: string, date: string }} run
 * @param {Section} section
 * @returns {string}
 */
export function renderExcerpt(run, section) {
  const { rows = [], notes = [] } = section.result ?? {};
  return [
    `${SCALE_MARKERS.start}\n<!-- Rewritten by \`npm run bench\` when it runs ${section.name} (bench/run.mjs). -->`,
    `Produced by \`${run.command}\` on ${run.date}.`,
    renderTable(rows),
    notes.map((n) => `- ${n}`).join("\n"),
    SCALE_MARKERS.end,
  ]
    .filter(Boolean)
    .join("\n\n");
}
