#!/usr/bin/env node
// `npm run bench`: edge-router side by side with its peers, in one run, on loopback, bounded in
// time. Runs the benchmarks below in order, prints the report, and rewrites the generated part of
// BENCHMARKS.md (between its markers; the hand-written analysis stays as it is). A full-length run
// that includes read-tier also copies its table into docs/scale.md (between its bench markers).
//
//   npm run bench                          all benchmarks, full durations
//   npm run bench -- --quick               shorter loads and fewer samples (labelled as such)
//   npm run bench -- --only decision,size-and-start
//                                          a subset: printed and saved to .bench/report.md,
//                                          BENCHMARKS.md left alone
//
// A benchmark is one module in bench/ exporting `title`, `needs` (tools: "wrk", "nginx") and
// `async run(ctx) → { rows, targets, raw, method?, notes? }` (see bench/lib/report.mjs); add its
// name to BENCHMARKS below.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { killAllGroups } from "../scripts/lib/processes.mjs";
import { createContext, PROFILES, ROOT } from "./lib/context.mjs";
import { machineFacts } from "./lib/machine.mjs";
import { renderExcerpt, renderGenerated, replaceGenerated, SCALE_MARKERS } from "./lib/report.mjs";
import { ensureTools } from "./lib/tools.mjs";

/** Every benchmark, in report order: the file bench/<name>.mjs. */
const BENCHMARKS = ["proxy-throughput", "decision", "kill-propagation", "control-plane-load", "size-and-start", "read-tier", "shadow", "hot-path-costs"];

const log = (...a) => console.error("[bench]", ...a);

/** @param {string[]} argv @returns {{ quick: boolean, only: string[] | null }} */
function parseArgs(argv) {
  let quick = false;
  let only = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") quick = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      only = (value ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = only.filter((n) => !BENCHMARKS.includes(n));
      if (!only.length || unknown.length) throw new Error(`--only takes names from: ${BENCHMARKS.join(", ")}${unknown.length ? ` (unknown: ${unknown.join(", ")})` : ""}`);
    } else throw new Error(`unknown option ${arg}; options: --quick, --only <${BENCHMARKS.join(",")}>`);
  }
  return { quick, only };
}

/** Runs each benchmark; a failure is recorded in its section and the others still run. */
async function runAll(ctx, modules) {
  const sections = [];
  for (const [i, { name, mod }] of modules.entries()) {
    log(`${i + 1}/${modules.length} ${name}`);
    const t0 = Date.now();
    try {
      sections.push({ name, title: mod.title, result: await mod.run(ctx), seconds: (Date.now() - t0) / 1000 });
    } catch (error) {
      log(`${name} failed:`, error);
      sections.push({ name, title: mod.title, error: String(error?.message ?? error).split("\n")[0], seconds: (Date.now() - t0) / 1000 });
    }
  }
  return sections;
}

/**
 * docs/scale.md shows the read-tier table of the last full-length run that measured it (alone or
 * with the rest); a quick run or a failed section leaves the page as it was.
 * @param {{ command: string, date: string, quick: boolean }} run
 * @param {import("./lib/report.mjs").Section[]} sections
 */
function writeScaleExcerpt(run, sections) {
  const section = sections.find((s) => s.name === "read-tier");
  const file = join(ROOT, "docs", "scale.md");
  if (!section?.result || run.quick || !existsSync(file)) return;
  const text = readFileSync(file, "utf8");
  if (!text.includes(SCALE_MARKERS.start)) return log(`docs/scale.md has no ${SCALE_MARKERS.start}; read-tier table not copied`);
  writeFileSync(file, replaceGenerated(text, renderExcerpt(run, section), SCALE_MARKERS));
  spawnSync(join(ROOT, "node_modules", ".bin", "biome"), ["format", "--write", file], { stdio: "ignore" });
  log("read-tier table copied into docs/scale.md");
}

async function main() {
  const t0 = Date.now();
  const { quick, only } = parseArgs(process.argv.slice(2));
  const names = only ? BENCHMARKS.filter((n) => only.includes(n)) : BENCHMARKS;
  const modules = await Promise.all(names.map(async (name) => ({ name, mod: await import(`./${name}.mjs`) })));
  const loadAverage = os.loadavg()[0];
  const tools = ensureTools([...new Set(modules.flatMap((m) => m.mod.needs))], log);
  const { ctx, dispose } = createContext({ quick, tools, log });
  try {
    const sections = await runAll(ctx, modules);
    const command = `npm run bench${quick || only ? " --" : ""}${quick ? " --quick" : ""}${only ? ` --only ${names.join(",")}` : ""}`;
    const run = {
      command,
      date: `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
      quick,
      only: only ? names : null,
      profile: quick ? PROFILES.quick : PROFILES.full,
    };
    const generated = renderGenerated(run, machineFacts(ctx, loadAverage), sections);
    writeFileSync(join(ctx.work, "report.md"), `${generated}\n`);
    writeFileSync(join(ctx.work, "results.json"), `${JSON.stringify({ run, sections }, null, 2)}\n`);
    console.log(generated);
    writeScaleExcerpt(run, sections);
    const failed = sections.filter((s) => s.error).map((s) => s.name);
    if (failed.length) {
      process.exitCode = 1;
      log(`failed: ${failed.join(", ")}; BENCHMARKS.md left alone (report in .bench/report.md)`);
    } else if (only) {
      log("subset run: BENCHMARKS.md left alone (report in .bench/report.md)");
    } else {
      const file = join(ROOT, "BENCHMARKS.md");
      writeFileSync(file, replaceGenerated(existsSync(file) ? readFileSync(file, "utf8") : "", generated));
      // The repository's formatter owns Markdown tables too (`npm run lint` checks them).
      spawnSync(join(ROOT, "node_modules", ".bin", "biome"), ["format", "--write", file], { stdio: "ignore" });
      log("generated part of BENCHMARKS.md rewritten");
    }
    log(`done in ${Math.round((Date.now() - t0) / 1000)} s; raw results in .bench/results.json`);
  } finally {
    await dispose();
    killAllGroups();
  }
}

// process.exit runs the "exit" hook of scripts/lib/processes.mjs, which kills every server still running.
process.on("SIGINT", () => process.exit(130));
main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  killAllGroups();
  process.exit(1);
});
