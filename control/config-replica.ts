/**
 * A regional config replica (Durable Object class ConfigReplica, one per region and shard, created
 * with a `locationHint` near its isolates): serves config snapshots to the isolates of its region
 * and aggregates their health flushes, so that the primary's load grows with the number of
 * replicas, not of isolates. The rules are pure (./policy/replica.ts); this class only wires them
 * to RPC, the primary and an alarm. It stores nothing: after a restart it asks the primary again.
 */
import { DurableObject } from "cloudflare:workers";
import type { SnapshotReply } from "../contracts/config-source";
import { STATE_OBJECT_NAME } from "../contracts/env";
import type { HealthFlush } from "../contracts/health";
import type { ReplicaRef } from "../contracts/replicas";
import { addHealth, answer, CONFIRM_EVERY_MS, EMPTY_REPLICA, fromPrimary, isActive, needsConfirm, type ReplicaState, takeForward } from "./policy/replica";

export class ConfigReplica extends DurableObject<Env> {
  private state: ReplicaState = EMPTY_REPLICA;
  private confirming: Promise<void> | undefined;
  /** Injectable clock, so tests can control time. */
  now: () => number = () => Date.now();

  private primary() {
    return this.env.ROLLOUT_STATE.get(this.env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));
  }

  /** Asks the primary whether the held version is current (one call in flight). */
  private confirm(): Promise<void> {
    this.confirming ??= (async () => {
      try {
        const reply = await this.primary().getSnapshot(this.state.version);
        this.state = fromPrimary(this.state, reply, reply.asOf ?? this.now());
      } finally {
        this.confirming = undefined;
      }
    })();
    return this.confirming;
  }

  private async keepAlarm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(this.now() + CONFIRM_EVERY_MS);
  }

  /** An isolate's read: the config, or `unchanged` for the version it holds; `asOf` says how current. */
  async read(knownVersion: number): Promise<SnapshotReply> {
    const now = this.now();
    this.state = { ...this.state, lastReadAt: now };
    if (!this.state.held) await this.confirm();
    else if (needsConfirm(this.state, now)) this.ctx.waitUntil(this.confirm().catch(() => undefined));
    this.ctx.waitUntil(this.keepAlarm());
    const reply = answer(this.state, knownVersion);
    if (!reply) throw new Error("the replica has no config yet and the primary did not answer");
    return reply;
  }

  /** The primary's push after a write (fire and forget: a lost push is caught up by the next confirmation). */
  async receive(reply: SnapshotReply): Promise<void> {
    this.state = fromPrimary(this.state, reply, reply.asOf ?? this.now());
  }

  /** An isolate's health flush: merged, forwarded to the primary at most once a second. */
  async recordHealth(flush: HealthFlush): Promise<void> {
    const { state, forward } = addHealth(this.state, flush, this.now());
    this.state = state;
    if (forward) await this.primary().recordHealth(forward);
    else this.ctx.waitUntil(this.keepAlarm());
  }

  /** While isolates use it: confirm with the primary every CONFIRM_EVERY_MS and forward pending health. */
  override async alarm(): Promise<void> {
    const now = this.now();
    const { state, forward } = takeForward(this.state, now);
    this.state = state;
    await Promise.allSettled([forward ? this.primary().recordHealth(forward) : undefined, needsConfirm(this.state, now) ? this.confirm() : undefined]);
    if (isActive(this.state, now)) await this.ctx.storage.setAlarm(now + CONFIRM_EVERY_MS);
  }

  /** What the replica holds, for diagnostics and tests. */
  async describe(): Promise<{ version: number; confirmedAt: number; lastReadAt: number; pendingHealth: boolean }> {
    return { version: this.state.version, confirmedAt: this.state.confirmedAt, lastReadAt: this.state.lastReadAt, pendingHealth: this.state.pendingHealth !== undefined };
  }
}

/**
 * The primary's side: `reply` sent to every replica at once, each created near its region. Returns
 * the names of those that failed (a push that is lost is caught up by the replica's next
 * confirmation, within CONFIRM_EVERY_MS, so nothing retries here).
 */
export async function pushToReplicas(env: Env, replicas: readonly ReplicaRef[], reply: SnapshotReply): Promise<string[]> {
  const results = await Promise.allSettled(replicas.map((r) => env.CONFIG_REPLICA.get(env.CONFIG_REPLICA.idFromName(r.name), { locationHint: r.region }).receive(reply)));
  return results.flatMap((result, i) => (result.status === "rejected" ? [replicas[i]!.name] : []));
}
