/**
 * One simulated run: build the world (colos, isolates, replicas, primary), send traffic, kill the
 * rollout once, and measure what the issue asks for: the control plane's load, the requests that
 * waited on it, the kill's propagation and the health lag.
 */
import { type DesignOptions, type Faults, q, World } from "./model";
import { type Colo, colos, type LatLon } from "./rtt";

export interface ScenarioInput {
  name: string;
  design: DesignOptions;
  faults?: Faults;
  totalRps: number;
  /** How many colos (the busiest by weight). */
  colos: number;
  /** A request rate one isolate serves; a colo gets ceil(its rate / this) isolates. */
  rpsPerIsolate: number;
  /** Simulated seconds; the kill happens at 60% of it. */
  seconds: number;
  /** Every isolate at this round trip from every Durable Object, instead of the colo table (the RTT sweep). */
  fixedRttMs?: number;
  seed: number;
}

export interface ScenarioResult {
  name: string;
  totalRps: number;
  colos: number;
  isolates: number;
  replicas: number;
  primaryRps: number;
  /** The primary's calls per second for every 1,000 isolates: it falls as isolates multiply when they do not call the primary themselves. */
  primaryRpsPer1000Isolates: number;
  maxReplicaRps: number;
  waitShare: number;
  waitP99Ms: number;
  killP50Ms: number;
  killP99Ms: number;
  killMaxMs: number;
  healthLagP99Ms: number;
  /** Requests the primary's health windows counted over the run, against requests sent. */
  healthCounted: number;
  requests: number;
}

/** A seeded generator (mulberry32), so every run of a scenario is the same. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function busiest(n: number): Colo[] {
  return [...colos()].sort((a, b) => b.weight - a.weight).slice(0, n);
}

/** Calls per second a server took, averaged over the steady part (after the first second). */
function steadyRate(perSecond: number[], seconds: number): number {
  const steady = perSecond.slice(1, seconds);
  return steady.reduce((n, x) => n + (x ?? 0), 0) / Math.max(1, seconds - 1);
}

function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export async function runScenario(input: ScenarioInput): Promise<ScenarioResult> {
  const world = new World(input.design, input.faults);
  if (input.fixedRttMs !== undefined) pinRtt(world, input.fixedRttMs);
  const chosen = busiest(input.colos);
  const totalWeight = chosen.reduce((n, c) => n + c.weight, 0);
  for (const colo of chosen) {
    const rps = (input.totalRps * colo.weight) / totalWeight;
    const n = Math.max(1, Math.ceil(rps / input.rpsPerIsolate));
    for (let i = 0; i < n; i++) world.addIsolate({ lat: colo.lat, lon: colo.lon }, rps / n);
  }
  const end = input.seconds * 1000;
  const killAt = Math.round(end * 0.6);
  world.startTraffic(end, seeded(input.seed));
  world.kill(killAt);
  await world.engine.run(end + 3000);

  const propagation = world.isolates.map((i) => Math.max(0, i.lastOldStart - killAt));
  const replicaRates = [...world.replicas.values()].map((r) => steadyRate(r.server.perSecond, input.seconds));
  const counted = world.primarySummary(3600);
  const primaryRps = steadyRate(world.primary.perSecond, input.seconds);
  return {
    name: input.name,
    totalRps: input.totalRps,
    colos: chosen.length,
    isolates: world.isolates.length,
    replicas: world.replicas.size,
    primaryRps,
    primaryRpsPer1000Isolates: (primaryRps * 1000) / Math.max(1, world.isolates.length),
    maxReplicaRps: replicaRates.length ? Math.max(...replicaRates) : 0,
    waitShare: world.m.waited / Math.max(1, world.m.requests),
    waitP99Ms: world.m.waited ? q(world.m.waits, 0.99) : 0,
    killP50Ms: percentile(propagation, 0.5),
    killP99Ms: percentile(propagation, 0.99),
    killMaxMs: Math.max(0, ...propagation),
    healthLagP99Ms: q(world.m.healthLag, 0.99),
    healthCounted: (counted.legacy.requests + counted.new.requests) / Math.max(1, world.m.sent),
    requests: world.m.requests,
  };
}

/** Puts every Durable Object at the same distance from every isolate: `rttMs` apart (the sweep). */
function pinRtt(world: World, rtt: number): void {
  const origin: LatLon = { lat: 0, lon: 0 };
  // One degree of longitude at the equator is about 111 km; the RTT model is linear in distance.
  const km = Math.max(0, ((rtt - 2.5) * 200) / (2 * 1.7));
  const far: LatLon = { lat: 0, lon: km / 111.32 };
  for (const server of [world.primary, ...[...world.replicas.values()].map((r) => r.server)]) Object.assign(server, { at: far });
  const addIsolate = world.addIsolate.bind(world);
  world.addIsolate = (_at, rate) => addIsolate(origin, rate);
}
