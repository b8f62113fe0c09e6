/**
 * Decision cost in Node: our pure decision (match + identify + decide, over a table compiled once)
 * against the same 25% rollout evaluated offline by unleash-client and @growthbook/growthbook, and
 * a bare hash as the floor; and ours again over 50 rollouts with targeting rules (none matching, so
 * every rule is tried before the bucket: the most rules cost). Prints one JSON object on stdout.
 */
import { GrowthBookClient } from "@growthbook/growthbook";
import { InMemStorageProvider, Unleash } from "unleash-client";
import { decide } from "../edge/decide";
import { claimedIdentity } from "../edge/identify";
import { bucketFrom, saltState } from "../contracts/hash";
import { RolloutConfigSchema } from "../contracts/rollout";
import { compileSnapshot, matchRollout } from "../edge/match";
import { ProxyRequestFacts } from "../edge/request-facts";
import type { SnapshotSegment } from "../contracts/rules";

/** Rollouts in the rules workload, each on its own path prefix. */
const RULE_ROLLOUTS = 50;

/**
 * 50 rollouts at 25%, each (`withRules`) with three rules: a header, a segment (a verified claim
 * and a header), and a country list. The user sends none of it and comes from US: no rule matches.
 */
function manyRollouts(withRules: boolean) {
  const origins = { legacy: "https://l.example", new: "https://n.example" };
  const rules = [
    { name: "canary", when: [{ header: "canary", equals: "true" }], variant: "new" },
    { name: "staff", when: [{ segment: "staff" }], variant: "new" },
    { name: "dach-half", when: [{ country: ["DE", "AT", "CH"] }], percent: 50 },
  ];
  const rollouts = Array.from({ length: RULE_ROLLOUTS }, (_, i) => ({
    config: RolloutConfigSchema.parse({ id: `app-${i}`, match: { pathPrefixes: [`/app-${i}`] }, origins, percent: 25, ...(withRules ? { rules } : {}) }),
    version: 1,
    updatedAt: "",
    updatedBy: "",
    killReason: null,
  }));
  const segments: SnapshotSegment[] = [
    {
      name: "staff",
      when: [
        { claim: "role", equals: "staff" },
        { header: "x-staff", present: true },
      ],
    },
  ];
  return compileSnapshot({ version: 1, globalKill: { killed: false, reason: null, at: null, by: null }, segments, rollouts });
}

const N = Number(process.env.DECISIONS ?? 1_000_000);
// Distinct ids as flat strings, like header values read from a request (built by concatenation they
// would be V8 "cons strings", flattened on first read: a cost no real request has).
const users = Array.from({ length: N }, (_, i) => Buffer.from(`user-${i.toString(36)}-${(i * 2654435761) >>> 0}`).toString("latin1"));

/** What a timed evaluator is: a bare hash (the floor), ours, or a third-party SDK. */
type Kind = "floor" | "ours" | "sdk";
type Evaluator = { id: string; kind: Kind; name: string; fn: (user: string) => unknown };

/** Passes over all ids per evaluator; each figure is the median pass. */
const ROUNDS = Number(process.env.DECISION_ROUNDS ?? 5);

/** One pass over every id: ns per decision, and how many went to new. */
function pass(fn: (user: string) => unknown): { ns: number; inNew: number } {
  let inNew = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) if (fn(users[i]!)) inNew++;
  return { ns: Number(process.hrtime.bigint() - start) / N, inNew };
}

/**
 * Warms each evaluator's JIT on a slice, then times ROUNDS passes of every evaluator in turn and
 * keeps each one's median pass. bench/decision.mjs runs one evaluator per process (EVALUATOR), so
 * that what V8 learned from one (say, rollouts with rules) does not slow or speed up another.
 */
function timeAll(evaluators: Evaluator[]) {
  for (const e of evaluators) for (let i = 0; i < Math.min(50_000, N); i++) e.fn(users[i]!);
  const passes = evaluators.map(() => [] as number[]);
  const inNew = evaluators.map(() => 0);
  for (let r = 0; r < ROUNDS; r++)
    evaluators.forEach((e, i) => {
      const p = pass(e.fn);
      passes[i]!.push(p.ns);
      inNew[i] = p.inNew;
    });
  return evaluators.map((e, i) => {
    const sorted = passes[i]!.sort((a, b) => a - b);
    return { id: e.id, kind: e.kind, name: e.name, nsPerDecision: sorted[Math.floor(sorted.length / 2)]!, passes: sorted, inNew: inNew[i]! };
  });
}

async function main() {
  // edge-router: one rollout at 25%, as the hot path sees it.
  const config = RolloutConfigSchema.parse({ id: "checkout", origins: { legacy: "https://l.example", new: "https://n.example" }, percent: 25 });
  const table = compileSnapshot({
    version: 1,
    globalKill: { killed: false, reason: null, at: null, by: null },
    rollouts: [{ config, version: 1, updatedAt: "", updatedBy: "", killReason: null }],
  });
  const headers = {
    value: "",
    get(name: string) {
      return name === "x-user-id" ? this.value : null;
    },
  };
  const ours = (user: string) => {
    headers.value = user;
    const match = matchRollout(table, "shop.example.com", "/checkout/cart");
    const identity = claimedIdentity(match!.rollout, headers)!;
    return decide(table, match!.rollout, identity).variant === "new";
  };

  // edge-router with rules: 50 rollouts, three rules each; the request's facts are read as the
  // proxy reads them (one ProxyRequestFacts per request, over the same header reader).
  const request = { headers, cf: { country: "US", colo: "FRA" } } as unknown as Request;
  const url = new URL("https://shop.example.com/app-25/cart");
  const inMany = (many: ReturnType<typeof compileSnapshot>) => (user: string) => {
    headers.value = user;
    const match = matchRollout(many, "shop.example.com", "/app-25/cart");
    const identity = claimedIdentity(match!.rollout, headers)!;
    const facts = match!.rollout.rules.length ? new ProxyRequestFacts(request, url) : undefined;
    return decide(many, match!.rollout, identity, undefined, facts).variant === "new";
  };
  const oursMany = inMany(manyRollouts(false));
  const oursWithRules = inMany(manyRollouts(true));

  // unleash-client, offline: bootstrapped toggle with a 25% gradual rollout on userId.
  const unleash = new Unleash({
    appName: "bench",
    url: "http://127.0.0.1:9/api/",
    refreshInterval: 0,
    disableMetrics: true,
    disableAutoStart: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: {
      data: [
        {
          name: "checkout",
          enabled: true,
          strategies: [{ name: "flexibleRollout", parameters: { rollout: "25", stickiness: "userId", groupId: "checkout" }, constraints: [] }],
        } as never,
      ],
    },
  });
  unleash.on("error", () => {});
  await unleash.start().catch(() => {});
  await new Promise((r) => setTimeout(r, 50));
  const unleashFn = (user: string) => unleash.isEnabled("checkout", { userId: user });

  // @growthbook/growthbook, offline: the multi-user server client, payload set in memory.
  const gb = new GrowthBookClient({});
  gb.initSync({ payload: { features: { checkout: { defaultValue: false, rules: [{ force: true, coverage: 0.25, hashAttribute: "id" }] } } } });
  const gbFn = (user: string) => gb.isOn("checkout", { attributes: { id: user } });

  // Floors: our hash alone (salt precomputed, as the router does), and a bare FNV-1a loop.
  const salt = saltState("checkout");
  const murmurFloor = (user: string) => bucketFrom(salt, user) < 2500;
  const fnvFloor = (user: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < user.length; i++) h = Math.imul(h ^ user.charCodeAt(i), 0x01000193);
    return (h >>> 0) % 10_000 < 2500;
  };

  const evaluators: Evaluator[] = [
    { id: "fnv1a", kind: "floor", name: "floor: FNV-1a 32 loop", fn: fnvFloor },
    { id: "murmur3", kind: "floor", name: "floor: murmur3 bucket (edge-router's hash)", fn: murmurFloor },
    { id: "edge-router", kind: "ours", name: "edge-router match + identify + decide", fn: ours },
    { id: "edge-router-many", kind: "ours", name: `edge-router, ${RULE_ROLLOUTS} rollouts, no rules`, fn: oursMany },
    { id: "edge-router-rules", kind: "ours", name: `edge-router, ${RULE_ROLLOUTS} rollouts, 3 rules each (none matching)`, fn: oursWithRules },
    { id: "growthbook", kind: "sdk", name: "@growthbook/growthbook isOn", fn: gbFn },
    { id: "unleash", kind: "sdk", name: "unleash-client isEnabled", fn: unleashFn },
  ];
  const only = process.env.EVALUATOR;
  const results = timeAll(only ? evaluators.filter((e) => e.id === only) : evaluators);
  if (!results.length) throw new Error(`EVALUATOR=${only}: no such evaluator (${evaluators.map((e) => e.id).join(", ")})`);
  unleash.destroy();
  const versions = {
    node: process.version,
    "unleash-client": (await import("unleash-client/package.json", { with: { type: "json" } })).default.version,
    "@growthbook/growthbook": (await import("@growthbook/growthbook/package.json", { with: { type: "json" } })).default.version,
  };
  process.stdout.write(JSON.stringify({ decisions: N, rounds: ROUNDS, results, versions }) + "\n");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
