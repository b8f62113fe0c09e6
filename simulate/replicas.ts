/**
 * The regional replicas of the tiered design, simulated: each follows the real replica policy
 * (control/policy/replica.ts) and the wiring mirrors control/config-replica.ts: it confirms its
 * version with the primary (one call in flight), keeps an alarm while it is read, answers isolates,
 * and forwards the health it aggregates to the primary.
 */
import type { SnapshotReply } from "../contracts/config-source";
import type { HealthFlush } from "../contracts/health";
import { HINT_LOCATIONS, type LocationHint, type ReplicaRef } from "../contracts/replicas";
import { addHealth, answer, CONFIRM_EVERY_MS, EMPTY_REPLICA, fromPrimary, isActive, needsConfirm, type ReplicaState, takeForward } from "../control/policy/replica";
import type { Engine } from "./engine";
import { callServer, Server } from "./network";

/** One replica: its server, the policy's state, the confirmation in flight, whether its alarm runs. */
export interface SimReplica {
  ref: ReplicaRef;
  server: Server;
  state: ReplicaState;
  confirming: Promise<void> | undefined;
  alarm: boolean;
}

/** What the replicas ask of the primary: its server, its answer to a read, and its health intake. */
export interface PrimaryLink {
  server: Server;
  read: (known: number) => SnapshotReply;
  health: (flush: HealthFlush, oldest: number | undefined) => void;
}

export class ReplicaTier {
  readonly replicas = new Map<string, SimReplica>();

  /** One replica per ref; those in `down` regions stop answering at `downAt`. */
  constructor(
    private readonly engine: Engine,
    private readonly primary: PrimaryLink,
    refs: readonly ReplicaRef[],
    serviceMs: number,
    down: { regions?: LocationHint[]; at: number },
  ) {
    for (const ref of refs) {
      const server = new Server(ref.name, HINT_LOCATIONS[ref.region], serviceMs);
      if (down.regions?.includes(ref.region)) engine.at(down.at, () => (server.down = true));
      this.replicas.set(ref.name, { ref, server, state: EMPTY_REPLICA, confirming: undefined, alarm: false });
    }
  }

  /** The primary's push of `reply` to every replica (a push to one that is down is lost). */
  push(reply: SnapshotReply): void {
    for (const r of this.replicas.values()) void callServer(this.engine, this.primary.server.at, r.server, () => this.receive(r, reply)).catch(() => undefined);
  }

  private receive(r: { state: ReplicaState }, reply: SnapshotReply): void {
    r.state = fromPrimary(r.state, reply, reply.asOf ?? this.engine.now);
  }

  private confirm(r: { server: Server; state: ReplicaState; confirming: Promise<void> | undefined }): Promise<void> {
    r.confirming ??= callServer(this.engine, r.server.at, this.primary.server, () => this.primary.read(r.state.version))
      .then((reply) => this.receive(r, reply))
      .finally(() => {
        r.confirming = undefined;
      });
    return r.confirming;
  }

  private keepAlarm(r: { server: Server; state: ReplicaState; alarm: boolean; confirming: Promise<void> | undefined }): void {
    if (r.alarm) return;
    r.alarm = true;
    const tick = () => {
      const now = this.engine.now;
      const { state, forward } = takeForward(r.state, now);
      r.state = state;
      if (forward) void callServer(this.engine, r.server.at, this.primary.server, () => this.primary.health(forward, undefined));
      if (needsConfirm(r.state, now)) void this.confirm(r).catch(() => undefined);
      if (isActive(r.state, now)) this.engine.after(CONFIRM_EVERY_MS, tick);
      else r.alarm = false;
    };
    this.engine.after(CONFIRM_EVERY_MS, tick);
  }

  /** An isolate's read at replica `name`, as control/config-replica.ts answers it. */
  async read(name: string, known: number): Promise<SnapshotReply> {
    const r = this.replicas.get(name)!;
    r.state = { ...r.state, lastReadAt: this.engine.now };
    if (!r.state.held) await this.confirm(r);
    else if (needsConfirm(r.state, this.engine.now)) void this.confirm(r).catch(() => undefined);
    this.keepAlarm(r);
    const reply = answer(r.state, known);
    if (!reply) throw new Error("replica has no config");
    return reply;
  }

  /** An isolate's health flush at replica `name`; `oldest`: its oldest request, for the health lag. */
  health(name: string, flush: HealthFlush, oldest: number | undefined): void {
    const r = this.replicas.get(name)!;
    const { state, forward } = addHealth(r.state, flush, this.engine.now);
    r.state = state;
    this.keepAlarm(r);
    // The lag is measured when a flush reaches the primary; a forwarded batch carries its oldest request.
    if (forward) void callServer(this.engine, r.server.at, this.primary.server, () => this.primary.health(forward, oldest));
  }
}
