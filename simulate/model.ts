/**
 * The control plane at internet scale, simulated in virtual time with the project's real modules:
 * every isolate runs the real SnapshotCache (and, in the tiered design, the real
 * ReplicaConfigSource), every replica follows the real replica policy, the primary applies the real
 * command policy and health windows, and health is accumulated and merged with the real functions.
 * Only the network (round trips from the RTT model) and the Durable Objects' single-threaded
 * service time are simulated (./network.ts). This module holds the primary and the isolates; the
 * replicas' wiring is in ./replicas.ts.
 */
import type { ConfigSource, SnapshotReply } from "../contracts/config-source";
import type { HealthFlush } from "../contracts/health";
import { emptyHistogram, quantile, record, type Histogram } from "../contracts/histogram";
import { HINT_LOCATIONS, type LocationHint, nearestFirst, type ReplicaRef, replicaSet } from "../contracts/replicas";
import { RolloutConfigSchema } from "../contracts/rollout";
import { applyCommand, EMPTY_STATE, seedState, toSnapshot, type ControlState } from "../control/policy/commands";
import { addFlush, type HealthWindows, summarize } from "../control/policy/health-windows";
import { ReplicaConfigSource } from "../edge/config-source";
import { newAccumulator, recordOutcome, takeFlush, type HealthAccumulator } from "../edge/health-batcher";
import { SnapshotCache } from "../edge/snapshot-cache";
import { Engine } from "./engine";
import { callServer, Server } from "./network";
import { ReplicaTier, type SimReplica } from "./replicas";
import type { LatLon } from "./rtt";

export interface DesignOptions {
  /** "today": every isolate reads the primary and waits past the freshness window; "tiered": SWR + regional replicas. */
  design: "today" | "tiered";
  freshnessMs: number;
  maxStalenessMs: number;
  replicaRegions: LocationHint[];
  replicasPerRegion: number;
  primaryRegion: LocationHint;
  doServiceMs: number;
}

export interface Isolate {
  at: LatLon;
  rate: number;
  cache: SnapshotCache;
  acc: HealthAccumulator;
  /** The oldest request not yet flushed (for the health lag). */
  firstPending: number | undefined;
  /** Start of the last request served by a config older than the last kill. */
  lastOldStart: number;
}

export interface Faults {
  /** Replicas in these regions stop answering at `downAt` (ms). */
  replicasDown?: LocationHint[];
  /** @default 2000 */
  downAt?: number;
  /** The primary takes this much longer per call. */
  primarySlowMs?: number;
  /** The primary's pushes after the kill are lost. */
  lostPush?: boolean;
}

export interface Measurements {
  /** Every request sent, warm-up included (what health should count). */
  sent: number;
  /** Requests after the warm-up (what waits are measured over). */
  requests: number;
  waited: number;
  waits: Histogram;
  healthLag: Histogram;
  killVersion: number;
  killAt: number;
}

const ORIGINS = { legacy: "https://legacy.example", new: "https://new.example" };

/**
 * Requests in the first second are not counted: every isolate starts cold (it has never read the
 * config), which a running deployment's isolates are not; the load figures skip that second too.
 */
export const WARMUP_MS = 1000;

/** The simulated world: primary, replicas, isolates, the network between them. */
export class World {
  readonly engine = new Engine();
  readonly primary: Server;
  readonly replicas: ReadonlyMap<string, SimReplica>;
  readonly isolates: Isolate[] = [];
  readonly m: Measurements = { sent: 0, requests: 0, waited: 0, waits: emptyHistogram(), healthLag: emptyHistogram(), killVersion: Number.POSITIVE_INFINITY, killAt: 0 };
  private control: ControlState;
  private windows: HealthWindows = {};
  private readonly refs: ReplicaRef[];
  private readonly tier: ReplicaTier;

  constructor(
    readonly options: DesignOptions,
    readonly faults: Faults = {},
  ) {
    this.primary = new Server("primary", HINT_LOCATIONS[options.primaryRegion], options.doServiceMs);
    this.primary.extraMs = faults.primarySlowMs ?? 0;
    const config = RolloutConfigSchema.parse({ id: "checkout", origins: ORIGINS, percent: 100 });
    this.control = seedState(EMPTY_STATE, config, new Date(0)).state;
    this.refs = options.design === "tiered" ? replicaSet(options.replicaRegions, options.replicasPerRegion) : [];
    const primary = {
      server: this.primary,
      read: (known: number) => this.primaryRead(known),
      health: (flush: HealthFlush, oldest: number | undefined) => this.primaryHealth(flush, oldest),
    };
    this.tier = new ReplicaTier(this.engine, primary, this.refs, options.doServiceMs, { regions: faults.replicasDown, at: faults.downAt ?? 2000 });
    this.replicas = this.tier.replicas;
  }

  /** A call across the network to a Durable Object (./network.ts). */
  call<T>(from: LatLon, server: Server, handler: () => T | Promise<T>): Promise<T> {
    return callServer(this.engine, from, server, handler);
  }

  // ---- the primary ---------------------------------------------------------------------------

  private primaryRead(known: number): SnapshotReply {
    const asOf = this.engine.now;
    if (known === this.control.version) return { status: "unchanged", version: known, asOf };
    return { status: "snapshot", snapshot: toSnapshot(this.control), asOf };
  }

  primarySource(from: LatLon): ConfigSource {
    return { read: (known) => this.call(from, this.primary, () => this.primaryRead(known)) };
  }

  private primaryHealth(flush: HealthFlush, oldest: number | undefined): void {
    this.windows = addFlush(this.windows, flush, this.engine.now).windows;
    if (oldest !== undefined) record(this.m.healthLag, this.engine.now - oldest);
  }

  /** The admin API's kill at virtual time `at`: applied at the primary, pushed to every replica. */
  kill(at: number): void {
    this.engine.at(at, () => {
      const outcome = applyCommand(this.control, { type: "kill", id: "checkout", body: { reason: "simulated incident" } }, { now: new Date(this.engine.now), actor: "sim" });
      if (!outcome.ok || !outcome.changed) throw new Error("the simulated kill did not apply");
      this.control = outcome.state;
      this.m.killVersion = this.control.version;
      this.m.killAt = this.engine.now;
      if (this.faults.lostPush) return;
      this.tier.push(this.primaryRead(-1));
    });
  }

  /** What the primary's health windows say over the last `seconds` (the guards read this). */
  primarySummary(seconds: number) {
    return summarize(this.windows, "checkout", seconds, this.engine.now);
  }

  // ---- isolates --------------------------------------------------------------------------------

  addIsolate(at: LatLon, rate: number): Isolate {
    const e = this.engine;
    const primary = this.primarySource(at);
    const seed = this.isolates.length;
    const tiered = this.options.design === "tiered" && this.refs.length > 0;
    const source: ConfigSource = tiered
      ? new ReplicaConfigSource(
          this.refs,
          (ref, known) => this.call(at, this.replicas.get(ref.name)!.server, () => this.tier.read(ref.name, known)),
          primary,
          () => at,
          seed,
          {
            clock: () => e.now,
            setTimeout: e.timers.setTimeout,
            clearTimeout: e.timers.clearTimeout,
          },
        )
      : primary;
    const cache = new SnapshotCache(source, { freshnessMs: this.options.freshnessMs, maxStalenessMs: this.options.maxStalenessMs, timers: e.timers }, () => e.now);
    const isolate: Isolate = { at, rate, cache, acc: newAccumulator(0), firstPending: undefined, lastOldStart: Number.NEGATIVE_INFINITY };
    this.isolates.push(isolate);
    const flushEvery = () => {
      // As the isolate does: the nearest replica, or the primary when that one is down.
      const nearest = tiered ? nearestFirst(this.refs, at, seed).find((r) => !this.replicas.get(r.name)!.server.down) : undefined;
      const flush = takeFlush(isolate.acc, e.now);
      const oldest = isolate.firstPending;
      isolate.firstPending = undefined;
      if (flush) {
        const target = nearest ? this.replicas.get(nearest.name)!.server : this.primary;
        const deliver = nearest ? () => this.tier.health(nearest.name, flush, oldest) : () => this.primaryHealth(flush, oldest);
        void this.call(at, target, deliver);
      }
      e.after(1000, flushEvery);
    };
    e.after(1000 + (seed % 1000), flushEvery);
    return isolate;
  }

  /** Poisson arrivals at each isolate's rate until `until`; each request reads the real snapshot cache. */
  startTraffic(until: number, random: () => number): void {
    const e = this.engine;
    for (const isolate of this.isolates) {
      const next = () => {
        const t = e.now;
        if (t > until) return;
        this.request(isolate, t);
        e.after(-Math.log(1 - random()) * (1000 / isolate.rate), next);
      };
      e.after(-Math.log(1 - random()) * (1000 / isolate.rate), next);
    }
  }

  private request(isolate: Isolate, started: number): void {
    const counted = started >= WARMUP_MS;
    this.m.sent++;
    if (counted) this.m.requests++;
    Promise.resolve(isolate.cache.read(started)).then((read) => {
      // Ticks are 0.1 ms: anything below two ticks is a request that did not wait.
      const waited = this.engine.now - started;
      if (counted) {
        if (waited > 0.2) this.m.waited++;
        record(this.m.waits, waited > 0.2 ? waited : 0);
      }
      if (read.kind !== "table") return;
      if (read.table.version < this.m.killVersion && started >= this.m.killAt && this.m.killAt > 0) isolate.lastOldStart = Math.max(isolate.lastOldStart, started);
      const variant = read.table.rollouts.get("checkout")!.killed || read.table.globalKill.killed ? "legacy" : "new";
      recordOutcome(isolate.acc, "checkout", variant, { status: 200, latencyMs: 20 + waited, user: null, clientIp: null });
      isolate.firstPending ??= started;
    });
  }
}

/** p-quantile of a histogram, 0 when empty. */
export const q = (h: Histogram, p: number) => quantile(h, p) ?? 0;
