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
  /** Give up on one replica after this long and try the next. @default DEFAULT_REPLICA_TIMEOUT_MS */
  replicaTimeoutMs?: number;
  /** A replica whose answer is further behind the primary than this has lost touch: bypassed. @default 2000 */
  maxLagMs?: number;
  /** A replica that failed is not asked again for this long. @default 10000 */
  penaltyMs?: number;
  /** How many replicas to try before the primary. @default 2 */
  attempts?: number;
  clock?: () => number;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export interface ReplicaSourceStats {
  replicaReads: number;
  primaryReads: number;
  /** Replicas bypassed: failed, timed out, behind by version, or lagging the primary. */
  bypassed: number;
}

/**
 * Reads the nearest regional replica; a replica that fails, times out, answers a version older
 * than one this isolate has already seen (behind), or lags the primary by more than `maxLagMs`
 * (lost touch) is bypassed for `penaltyMs`, and the next one is tried, then the primary.
 */
export class ReplicaConfigSource implements ConfigSource {
  private order: ReplicaRef[] | undefined;
  private readonly penalties = new Map<string, number>();
  private highest = -1;
  readonly stats: ReplicaSourceStats = { replicaReads: 0, primaryReads: 0, bypassed: 0 };

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

  async read(knownVersion: number): Promise<SnapshotReply> {
    const now = this.clock();
    const tried = this.candidates()
      .filter((r) => (this.penalties.get(r.name) ?? 0) <= now)
      .slice(0, this.options.attempts ?? 2);
    for (const replica of tried) {
      const reply = await this.tryReplica(replica, knownVersion);
      if (reply) return reply;
    }
    this.stats.primaryReads++;
    const reply = await this.primary.read(knownVersion);
    this.see(reply);
    return reply;
  }

  private async tryReplica(replica: ReplicaRef, knownVersion: number): Promise<SnapshotReply | undefined> {
    this.stats.replicaReads++;
    try {
      const reply = await this.withTimeout(this.readReplica(replica, knownVersion), this.options.replicaTimeoutMs ?? DEFAULT_REPLICA_TIMEOUT_MS);
      const lag = this.clock() - (reply.asOf ?? this.clock());
      if (lag > (this.options.maxLagMs ?? 2000) || versionOf(reply) < this.highest) return this.bypass(replica);
      this.see(reply);
      return reply;
    } catch {
      return this.bypass(replica);
    }
  }

  private bypass(replica: ReplicaRef): undefined {
    this.stats.bypassed++;
    this.penalties.set(replica.name, this.clock() + (this.options.penaltyMs ?? 10_000));
    return undefined;
  }

  private see(reply: SnapshotReply): void {
    this.highest = Math.max(this.highest, versionOf(reply));
  }

  private clock(): number {
    return (this.options.clock ?? Date.now)();
  }

  private withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    const set = this.options.setTimeout ?? ((cb: () => void, t: number) => setTimeout(cb, t));
    const clear = this.options.clearTimeout ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
    let timer: unknown;
    const timeout = new Promise<never>((_, reject) => {
      timer = set(() => reject(new Error(`replica did not answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clear(timer));
  }
}

function versionOf(reply: SnapshotReply): number {
  return reply.status === "snapshot" ? reply.snapshot.version : reply.status === "unchanged" ? reply.version : -1;
}
