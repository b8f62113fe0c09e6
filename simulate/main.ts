/**
 * `npm run simulate`: the control plane at 1M requests/s over 300 colos, today's design beside the
 * tiered one, plus faults and a round-trip sweep; prints a table per scenario and, last, one JSON
 * line; writes docs/scale-sim.json, the chart docs/scale.svg and its tables into docs/scale.md.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { LOCATION_HINTS, type LocationHint } from "../contracts/replicas";
import type { DesignOptions } from "./model";
import { runScenario, type ScenarioResult } from "./scenario";
import { sweepChart } from "./svg";

const { values } = parseArgs({
  options: {
    rps: { type: "string", default: "1000000" },
    colos: { type: "string", default: "300" },
    "rps-per-isolate": { type: "string", default: "500" },
    seconds: { type: "string", default: "6" },
    "replicas-per-region": { type: "string", default: "10" },
    "replica-regions": { type: "string", default: "wnam,enam,weur,eeur,apac,oc" },
    "primary-region": { type: "string", default: "enam" },
    "do-service-ms": { type: "string", default: "1" },
    "sweep-rtts": { type: "string", default: "20,50,80,150,250" },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string", default: "docs" },
  },
});

const num = (name: keyof typeof values) => Number(values[name]);
const quick = values.quick === true;
const rps = quick ? 50_000 : num("rps");
const seconds = num("seconds");
const regions = String(values["replica-regions"]).split(",") as LocationHint[];
if (regions.some((r) => !(LOCATION_HINTS as readonly string[]).includes(r))) throw new Error(`--replica-regions takes ${LOCATION_HINTS.join(",")}`);

const base: DesignOptions = {
  design: "tiered",
  freshnessMs: 250,
  maxStalenessMs: 600,
  replicaRegions: regions,
  replicasPerRegion: num("replicas-per-region"),
  primaryRegion: values["primary-region"] as LocationHint,
  doServiceMs: num("do-service-ms"),
};
/** Today's design: the primary read directly, and a request waits past the 250 ms window. */
const today: DesignOptions = { ...base, design: "today", maxStalenessMs: 250 };
const common = { totalRps: rps, colos: num("colos"), rpsPerIsolate: num("rps-per-isolate"), seconds, seed: 42 };

const fmt = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
function table(results: ScenarioResult[]): string {
  const header = [
    "scenario",
    "isolates",
    "replicas",
    "primary/s",
    "per 1k isolates",
    "max replica/s",
    "waited",
    "wait p99",
    "kill p50",
    "kill p99",
    "kill max",
    "health lag p99",
    "counted",
  ];
  const rows = results.map((r) => [
    r.name,
    fmt(r.isolates),
    fmt(r.replicas),
    fmt(r.primaryRps),
    fmt(r.primaryRpsPer1000Isolates),
    fmt(r.maxReplicaRps),
    `${fmt(r.waitShare * 100, 2)}%`,
    `${fmt(r.waitP99Ms, 1)} ms`,
    `${fmt(r.killP50Ms)} ms`,
    `${fmt(r.killP99Ms)} ms`,
    `${fmt(r.killMaxMs)} ms`,
    `${fmt(r.healthLagP99Ms)} ms`,
    `${fmt(r.healthCounted * 100, 1)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

/** Puts this run's tables between the markers of docs/scale.md (the prose around them is written by hand). */
function writeReport(path: string, report: string, isQuick: boolean): void {
  let doc: string;
  try {
    doc = readFileSync(path, "utf8");
  } catch {
    return;
  }
  const [start, end] = ["<!-- sim:start -->", "<!-- sim:end -->"];
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) return;
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  const how = `\`npm run simulate${isQuick ? " -- --quick" : ""}\` on ${when} UTC${isQuick ? " (quick: 50k requests/s)" : ""}; written by the run, between these markers.`;
  writeFileSync(path, `${doc.slice(0, a + start.length)}\n${how}\n\n\`\`\`text\n${report}\n\`\`\`\n${doc.slice(b)}`);
}

async function main(): Promise<void> {
  const log = (text: string) => process.stderr.write(`${text}\n`);
  const started = Date.now();
  const run = async (name: string, design: DesignOptions, extra: Partial<Parameters<typeof runScenario>[0]> = {}) => {
    const t0 = Date.now();
    const result = await runScenario({ ...common, name, design, ...extra });
    log(`[simulate] ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s of CPU for ${fmt(result.requests)} requests`);
    return result;
  };
  if (values.only) {
    const design = values.only === "today" ? today : base;
    const result = await run(values.only, design);
    console.log(table([result]));
    return;
  }
  const main = [await run("today's design", today), await run("tiered (SWR + replicas)", base)];
  const faults = [
    await run("tiered, weur replicas down", base, { faults: { replicasDown: ["weur"] } }),
    await run("tiered, primary slow by 500 ms", base, { faults: { primarySlowMs: 500 } }),
    await run("tiered, the kill's push lost", base, { faults: { lostPush: true } }),
  ];
  const rtts = String(values["sweep-rtts"]).split(",").map(Number);
  const sweep: Array<{ rtt: number; today: ScenarioResult; tiered: ScenarioResult }> = [];
  for (const rtt of rtts) {
    const small = { totalRps: 20_000, colos: 20, rpsPerIsolate: 1000, fixedRttMs: rtt };
    sweep.push({ rtt, today: await run(`today @ ${rtt} ms`, today, small), tiered: await run(`tiered @ ${rtt} ms`, base, small) });
  }

  const report = [
    `Control plane at ${fmt(rps)} requests/s over ${common.colos} colos (${seconds} simulated s; the kill at ${Math.round(seconds * 600)} ms; DO service ${base.doServiceMs} ms per call)\n`,
    table(main),
    `\nFaults (tiered design)\n${table(faults)}`,
    `\nRound-trip sweep: every isolate at one RTT from the control plane (20k requests/s, 20 isolates)\n${table(sweep.flatMap((s) => [s.today, s.tiered]))}`,
  ].join("\n");
  console.log(report);

  const tiered = main[1]!;
  const targets = { primaryRps: tiered.primaryRps <= 500, maxReplicaRps: tiered.maxReplicaRps <= 500, waitP99Ms: tiered.waitP99Ms <= 1, killMaxMs: tiered.killMaxMs < 1000 };
  writeFileSync(`${values.out}/scale-sim.json`, `${JSON.stringify({ options: { ...common, base }, main, faults, sweep }, null, 2)}\n`);
  writeFileSync(`${values.out}/scale.svg`, sweepChart(sweep));
  writeReport(`${values.out}/scale.md`, report, quick);
  // The repository's formatter owns JSON and Markdown too (`npm run lint` checks them).
  spawnSync("node_modules/.bin/biome", ["format", "--write", `${values.out}/scale-sim.json`, `${values.out}/scale.md`], { stdio: "ignore" });
  log(`[simulate] done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote ${values.out}/scale-sim.json, ${values.out}/scale.svg and the tables in ${values.out}/scale.md`);
  const { name: _n, requests: _r, healthCounted: _h, replicas: _p, ...summary } = tiered;
  console.log(
    JSON.stringify({
      ...summary,
      today: {
        primaryRps: main[0]!.primaryRps,
        primaryRpsPer1000Isolates: main[0]!.primaryRpsPer1000Isolates,
        waitShare: main[0]!.waitShare,
        waitP99Ms: main[0]!.waitP99Ms,
        killMaxMs: main[0]!.killMaxMs,
      },
      targetsMet: targets,
    }),
  );
}

await main();
