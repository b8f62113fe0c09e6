// 2. Decision cost in Node: edge-router's match + identify + decide against unleash-client and
// GrowthBook evaluating the same 25% rollout offline, and bare hashes as floors; and edge-router
// again with targeting rules over 50 rollouts. The workload is bench/decision.ts, bundled with
// esbuild and run in a child Node process.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fmt, ratio, target } from "./lib/report.mjs";

export const title = "Decision cost";
export const needs = [];

/** Our decision may cost at most this multiple of the bare murmur3 bucket (the hash it needs anyway). */
const MAX_VS_MURMUR3 = 1.5;
/** Our decision must be at least this many times faster than the fastest SDK. */
const MIN_VS_FASTEST_SDK = 3;
/**
 * With three unmatched rules each (a header, a segment of two conditions, a country list: three to
 * four closures tried), a decision over 50 rollouts may cost at most this multiple of the same 50
 * rollouts without rules: what the rules add, apart from matching among 50 path prefixes.
 */
const MAX_RULES_VS_PLAIN = 2;

/** Bundles decision.ts (TypeScript, imports from edge/ and contracts/) into .bench/decision.mjs. */
async function bundle(ctx) {
  const { build } = await import("esbuild");
  const out = join(ctx.work, "decision.mjs");
  await build({
    entryPoints: [join(ctx.root, "bench", "decision.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    logLevel: "error",
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  });
  return out;
}

/** The evaluators of bench/decision.ts, in the order of the table. */
const EVALUATORS = ["fnv1a", "murmur3", "edge-router", "edge-router-many", "edge-router-rules", "growthbook", "unleash"];

/** @param {import("./lib/context.mjs").BenchContext} ctx @returns {Promise<import("./lib/report.mjs").BenchResult>} */
export async function run(ctx) {
  const script = await bundle(ctx);
  // One process per evaluator: a fresh JIT each, as a deployment with only that shape would have.
  const runs = EVALUATORS.map((id) => {
    const r = spawnSync(process.execPath, [script], {
      encoding: "utf8",
      env: { ...process.env, DECISIONS: String(ctx.decisions), DECISION_ROUNDS: ctx.quick ? "3" : "5", EVALUATOR: id },
    });
    if (r.status !== 0) throw new Error(`decision bench (${id}) failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").pop());
  });
  const raw = { ...runs[0], results: runs.flatMap((r) => r.results) };
  const byId = (id) => raw.results.find((x) => x.id === id);
  const ours = byId("edge-router");
  const withRules = byId("edge-router-rules");
  const manyPlain = byId("edge-router-many");
  const murmur = byId("murmur3");
  const fastestSdk = raw.results.filter((x) => x.kind === "sdk").sort((a, b) => a.nsPerDecision - b.nsPerDecision)[0];
  for (const x of raw.results) ctx.log(`${x.name}: ${fmt(x.nsPerDecision, 1)} ns`);
  const rows = raw.results.map((x) => ({
    evaluator: x.name,
    "ns per decision": fmt(x.nsPerDecision, 1),
    "passes, fastest–slowest": `${fmt(x.passes[0], 1)}–${fmt(x.passes.at(-1), 1)}`,
    "vs edge-router": ratio(x.nsPerDecision, ours.nsPerDecision),
    "vs murmur3 floor": ratio(x.nsPerDecision, murmur.nsPerDecision),
    'share in "new"': `${fmt((x.inNew / raw.decisions) * 100, 2)}%`,
  }));
  const vsMurmur = ours.nsPerDecision / murmur.nsPerDecision;
  const vsSdk = fastestSdk.nsPerDecision / ours.nsPerDecision;
  const rulesVsPlain = withRules.nsPerDecision / manyPlain.nsPerDecision;
  return {
    method: `${fmt(raw.decisions)} distinct user ids, in Node ${raw.versions.node}, one rollout at 25% (the rules row: 50 rollouts at 25%, each with a header rule, a segment rule and a country rule that the request does not match, so all are tried before the bucket); each evaluator is warmed up on the first 50,000 ids, then timed over all ids in ${raw.rounds} passes, and the median pass is its figure; each evaluator runs in its own Node process, so what the JIT learned from one shape (rollouts with rules, say) does not change another's figure. The SDKs run offline (bootstrapped in memory), evaluated per user as they would be per request: unleash-client ${raw.versions["unleash-client"]}, @growthbook/growthbook ${raw.versions["@growthbook/growthbook"]}.`,
    rows,
    targets: [
      target(
        `decision ≤ ${MAX_VS_MURMUR3}× the bare murmur3 bucket`,
        `${fmt(vsMurmur, 2)}× (${fmt(ours.nsPerDecision, 1)} vs ${fmt(murmur.nsPerDecision, 1)} ns)`,
        vsMurmur <= MAX_VS_MURMUR3,
      ),
      target(
        `decision ≥ ${MIN_VS_FASTEST_SDK}× faster than the fastest SDK`,
        `${fmt(vsSdk, 2)}× (${fastestSdk.name}, ${fmt(fastestSdk.nsPerDecision, 1)} ns)`,
        vsSdk >= MIN_VS_FASTEST_SDK,
      ),
      target(
        `50 rollouts with 3 rules each ≤ ${MAX_RULES_VS_PLAIN}× the same 50 rollouts without rules`,
        `${fmt(rulesVsPlain, 2)}× (${fmt(withRules.nsPerDecision, 1)} vs ${fmt(manyPlain.nsPerDecision, 1)} ns)`,
        rulesVsPlain <= MAX_RULES_VS_PLAIN,
      ),
    ],
    raw,
  };
}
