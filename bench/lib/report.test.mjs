// node --test bench/lib/*.test.mjs
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { END, renderExcerpt, renderGenerated, renderTable, replaceGenerated, SCALE_MARKERS, START, target } from "./report.mjs";

const HAND = "## Analysis (hand-written)\n\nFigures from 2026-11-22: 0.75×.\n";

describe("replaceGenerated", () => {
  it("rewrites only the text between the markers and keeps the hand-written part byte for byte", () => {
    const before = `# Benchmarks\n\nintro\n\n${START}\nold table 0.50×\n${END}\n\n${HAND}`;
    const after = replaceGenerated(before, `${START}\nnew table\n${END}`);
    assert.equal(after, `# Benchmarks\n\nintro\n\n${START}\nnew table\n${END}\n\n${HAND}`);
    assert.ok(!after.includes("old table"));
  });

  it("adds the generated part after the title of a file that has no markers yet", () => {
    const after = replaceGenerated(`# Benchmarks\n${HAND}`, `${START}\nx\n${END}`);
    assert.ok(after.startsWith(`# Benchmarks\n\n${START}\nx\n${END}\n`));
    assert.ok(after.endsWith(HAND));
  });

  it("refuses a file with only one marker rather than guessing where the generated part ends", () => {
    assert.throws(() => replaceGenerated(`${START}\n${HAND}`, `${START}\n${END}`), /only one of the markers/);
  });
});

describe("renderGenerated", () => {
  const run = {
    command: "npm run bench -- --quick",
    date: "2026-11-28 06:00 UTC",
    quick: true,
    only: null,
    profile: { warmupSeconds: 1, durationSeconds: 4, kills: 5, decisions: 200_000 },
  };
  const machine = { cpuModel: "Test CPU", cores: 2, memGiB: 8, kernel: "Linux 6", loadAverage: 0.5, versions: { workerd: "2026-10-23" } };
  const sections = [
    { name: "x", title: "X", seconds: 1, result: { rows: [{ a: "1" }], targets: [target("t1", "2 ms", true), target("t2", "9 ms", false), target("t3", "—", null)], raw: null } },
  ];

  it("says a quick run is a quick run", () => {
    assert.match(renderGenerated(run, machine, sections), /\*\*Quick run\*\*/);
    assert.doesNotMatch(renderGenerated({ ...run, quick: false }, machine, sections), /Quick run/);
  });

  it("marks each target met, missed or not measured from the verdict it was given", () => {
    const text = renderGenerated(run, machine, sections);
    assert.match(text, /\| t1 \| 2 ms \| met \|/);
    assert.match(text, /\| t2 \| 9 ms \| \*\*missed\*\* \|/);
    assert.match(text, /\| t3 \| — \| not measured \|/);
  });

  it("reports a failed benchmark instead of its table", () => {
    const text = renderGenerated(run, machine, [{ name: "y", title: "Y", seconds: 0, error: "workerd did not serve" }]);
    assert.match(text, /### 1\. Y\n\n\*\*Failed in this run:\*\* workerd did not serve/);
    assert.match(text, /\(no target measured\)/);
  });
});

describe("renderTable", () => {
  it("right-aligns numeric columns and left-aligns text ones", () => {
    const table = renderTable([
      { name: "thin", "requests/s": "6,606", ratio: "1.00×" },
      { name: "router", "requests/s": "4,973", ratio: "—" },
    ]);
    assert.equal(table.split("\n")[1], "| --- | ---: | ---: |");
  });
});

describe("renderExcerpt", () => {
  it("puts one section's table between the docs/scale.md markers and leaves the prose around them alone", () => {
    const section = { name: "read-tier", title: "Read tier", seconds: 1, result: { rows: [{ rtt: "80 ms", waited: "2.6%" }], targets: [], raw: null, notes: ["kill max 218 ms"] } };
    const page = `# Scale\n\nprose before\n\n${SCALE_MARKERS.start}\n| old |\n${SCALE_MARKERS.end}\n\nprose after\n`;
    const after = replaceGenerated(page, renderExcerpt({ command: "npm run bench", date: "2026-11-28 09:00 UTC" }, section), SCALE_MARKERS);
    assert.ok(after.startsWith("# Scale\n\nprose before\n\n"));
    assert.ok(after.endsWith(`${SCALE_MARKERS.end}\n\nprose after\n`));
    assert.ok(!after.includes("| old |"));
    assert.match(after, /\| 80 ms \| 2\.6% \|/);
    assert.match(after, /- kill max 218 ms/);
    assert.match(after, /Produced by `npm run bench` on 2026-11-28 09:00 UTC/);
  });
});
