/**
 * Config sources of the hot path (the interface is in contracts/config-source.ts): the primary
 * Durable Object, and the regional read tier in front of it. Every one runs the contract suite
 * (test/contracts/config-source.contract.ts).
 */
import type { ConfigSource, SnapshotReply } from "../contracts/config-source";
import { STATE_OBJECT_NAME } from "../contracts/env";
import { nearestFirst, type ReplicaRef } from "../contracts/replicas";

/** Reads from the authoritative Durable Object by RPC. */
export class DurableObjectConfigSource implements ConfigSource {
  constructor(private readonly namespace: Env["ROLLOUT_STATE"]) {}

  read(knownVersion: number): Promise<SnapshotReply> {
    const stub = this.namespace.get(this.namespace.idFromName(STATE_OBJECT_NAME));
    return stub.getSnapshot(knownVersion);
  }
}

/** How an isolate reaches one replica (a Durable Object stub in production, a fake in simulations). */
export type ReplicaReader = (replica: ReplicaRef, knownVersion: number) => Promise<SnapshotReply>;

/**
 * Give up on one replica after this long and try the next. A background refresh starts once the
 * snapshot is 250 ms old and requests wait past 600 ms: the 350 ms between must hold this timeout
 * and the next replica's round trip, or a dead replica would make requests wait.
 */
export const DEFAULT_REPLICA_TIMEOUT_MS = 200;

export interface ReplicaSourceOptions {
  /** Stop waiting for one replica after this long and try the next (its answer still counts if it comes first). @default DEFAULT_REPLICA_TIMEOUT_MS */
  replicaTimeoutMs?: number;
  /** A replica whose answer is further behind the primary than this has lost touch: bypassed. @default 2000 */
  maxLagMs?: number;
  /** The longest a failing replica is skipped: the first failure skips it for 1 s, each next one doubles that, up to this. @default 10000 */
  penaltyMs?: number;
  /** How many replicas to try before the primary (one per region first, nearest first). @default 2 */
  attempts?: number;
  clock?: () => number;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

/** The first failure of a replica skips it this long; each further one in a row doubles it. */
const FIRST_PENALTY_MS = 1000;
/** An isolate with no snapshot yet gives a replica this long: a replica's own first pull from a far primary takes longer than the usual timeout. */
const COLD_REPLICA_TIMEOUT_MS = 1000;
/** While every replica lags (the primary is slow), an isolate asks the primary itself at most this often. */
export const PRIMARY_PROBE_EVERY_MS = 5000;

export interface ReplicaSourceStats {
  replicaReads: number;
  primaryReads: number;
  /** Replicas bypassed: failed, timed out, behind by version, or lagging the primary. */
  bypassed: number;
  /** Answers taken from a lagging replica because every replica asked lagged (the primary was slow). */
  laggingServed: number;
}

const TIMED_OUT = Symbol("timed out");
type Outcome = { kind: "ok" | "lagging"; reply: SnapshotReply } | { kind: "failed" };

/**
 * Reads the nearest regional replica, then the nearest one in another region, then the primary.
 *
 * - A replica that fails, or answers a version older than one this isolate has already seen
 *   (behind), is skipped for a while: 1 s, doubling while it keeps failing, up to `penaltyMs`.
 * - A replica that is merely slow is not given up on: past `replicaTimeoutMs` the next one is
 *   asked, and the slow answer still counts if it comes first. An isolate with no snapshot yet
 *   waits longer for the first (a cold replica pulls from the primary before it answers).
 * - A replica that lags the primary by more than `maxLagMs` has lost touch: the other region's
 *   replica is used. When both lag, the primary is what is slow (its pushes still reach the
 *   replicas): the freshest lagging answer is served, and this isolate asks the primary itself
 *   at most every PRIMARY_PROBE_EVERY_MS.
 *
 * Every rule keeps a slow primary from being sent every isolate's read at once: that would turn
 * slow into down (the simulation's "primary slow by 500 ms" fault shows it).
 */
export class ReplicaConfigSource implements ConfigSource {
  private order: ReplicaRef[] | undefined;
  private readonly penalties = new Map<string, { until: number; failures: number }>();
  private highest = -1;
  private probeNotBefore = Number.NEGATIVE_INFINITY;
  readonly stats: ReplicaSourceStats = { replicaReads: 0, primaryReads: 0, bypassed: 0, laggingServed: 0 };

  constructor(
    private readonly replicas: readonly ReplicaRef[],
    private readonly readReplica: ReplicaReader,
    private readonly primary: ConfigSource,
    /** Where this isolate is (request.cf latitude/longitude), once known. */
    private readonly locate: () => { lat: number; lon: number } | undefined,
    private readonly shardSeed: number,
    private readonly options: ReplicaSourceOptions = {},
  ) {}

  private candidates(): ReplicaRef[] {
    if (!this.order) {
      const at = this.locate();
      const order = nearestFirst(this.replicas, at, this.shardSeed);
      if (!at) return order; // not located yet: do not remember an arbitrary order
      this.order = order;
    }
    return this.order;
  }

  /** The replicas to ask, in order: the nearest usable one, then the nearest usable one in another region. */
  private toAsk(now: number): ReplicaRef[] {
    const usable = this.candidates().filter((r) => (this.penalties.get(r.name)?.until ?? 0) <= now);
    const max = this.options.attempts ?? 2;
    const picked: ReplicaRef[] = [];
    // First one per region, nearest first; then fill up with the rest.
    for (const onePerRegion of [true, false]) {
      for (const r of usable) {
        if (picked.length >= max) break;
        if (picked.includes(r) || (onePerRegion && picked.some((p) => p.region === r.region))) continue;
        picked.push(r);
      }
    }
    return picked;
  }

  async read(knownVersion: number): Promise<SnapshotReply> {
    const now = this.clock();
    const timeoutMs = knownVersion < 0 ? Math.max(COLD_REPLICA_TIMEOUT_MS, this.replicaTimeoutMs) : this.replicaTimeoutMs;
    const asked = this.toAsk(now);
    const trusted: Array<Promise<SnapshotReply | undefined>> = [];
    const lagging: Array<{ replica: ReplicaRef; reply: SnapshotReply }> = [];
    for (const replica of asked) {
      let answered = false;
      const outcome = this.askReplica(replica, knownVersion).then((o) => {
        answered = true;
        if (o.kind === "lagging") lagging.push({ replica, reply: o.reply });
        return o;
      });
      trusted.push(outcome.then((o) => (o.kind === "ok" ? o.reply : undefined)));
      // The first trusted answer from any replica asked so far: a slow one still counts.
      const first = await this.withTimeout(
        firstAnswer(trusted).catch(() => undefined),
        timeoutMs,
      );
      if (first !== TIMED_OUT && first) {
        for (const l of lagging) this.penalize(l.replica); // those lost touch; this one did not
        return first;
      }
      if (first === TIMED_OUT && !answered) this.penalize(replica);
    }
    const freshest = lagging.map((l) => l.reply).sort((a, b) => (b.asOf ?? 0) - (a.asOf ?? 0))[0];
    const allLag = freshest !== undefined && lagging.length === asked.length && asked.length > 1;
    if (allLag && now < this.probeNotBefore) return this.serveLagging(freshest);
    if (allLag) this.probeNotBefore = now + PRIMARY_PROBE_EVERY_MS;
    this.stats.primaryReads++;
    const fromPrimary = this.primary.read(knownVersion).then((reply) => {
      this.see(reply);
      return reply;
    });
    try {
      return await firstAnswer([fromPrimary, ...trusted]);
    } catch (error) {
      if (freshest) return this.serveLagging(freshest);
      throw error;
    }
  }

  private serveLagging(reply: SnapshotReply): SnapshotReply {
    this.stats.laggingServed++;
    this.see(reply);
    return reply;
  }

  private get replicaTimeoutMs(): number {
    return this.options.replicaTimeoutMs ?? DEFAULT_REPLICA_TIMEOUT_MS;
  }

  /** One replica's answer, judged; a failed or behind one is skipped for a while. Never rejects. */
  private async askReplica(replica: ReplicaRef, knownVersion: number): Promise<Outcome> {
    this.stats.replicaReads++;
    try {
      const reply = await this.readReplica(replica, knownVersion);
      if (versionOf(reply) < this.highest) {
        this.penalize(replica);
        return { kind: "failed" };
      }
      if (this.clock() - (reply.asOf ?? this.clock()) > (this.options.maxLagMs ?? 2000)) return { kind: "lagging", reply };
      this.penalties.delete(replica.name);
      this.see(reply);
      return { kind: "ok", reply };
    } catch {
      this.penalize(replica);
      return { kind: "failed" };
    }
  }

  private penalize(replica: ReplicaRef): void {
    this.stats.bypassed++;
    const failures = (this.penalties.get(replica.name)?.failures ?? 0) + 1;
    const ms = Math.min(this.options.penaltyMs ?? 10_000, FIRST_PENALTY_MS * 2 ** (failures - 1));
    this.penalties.set(replica.name, { until: this.clock() + ms, failures });
  }

  private see(reply: SnapshotReply): void {
    this.highest = Math.max(this.highest, versionOf(reply));
  }

  private clock(): number {
    return (this.options.clock ?? Date.now)();
  }

  private withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
    const set = this.options.setTimeout ?? ((cb: () => void, t: number) => setTimeout(cb, t));
    const clear = this.options.clearTimeout ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
    let timer: unknown;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = set(() => resolve(TIMED_OUT), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clear(timer));
  }
}

/** The first answer among `answers` (undefined = that one could not be trusted); rejects when none comes, with the primary's error if it failed. */
function firstAnswer(answers: Array<Promise<SnapshotReply | undefined>>): Promise<SnapshotReply> {
  return new Promise((resolve, reject) => {
    let left = answers.length;
    let error: unknown = new Error("no replica answered, nor the primary");
    const settle = () => {
      if (--left === 0) reject(error);
    };
    for (const [i, answer] of answers.entries()) {
      answer.then(
        (reply) => (reply ? resolve(reply) : settle()),
        (e) => {
          if (i === 0) error = e;
          settle();
        },
      );
    }
  });
}

function versionOf(reply: SnapshotReply): number {
  return reply.status === "snapshot" ? reply.snapshot.version : reply.status === "unchanged" ? reply.version : -1;
}
