/**
 * Where isolates read the config from. Today: the one Durable Object. Tomorrow: a regional replica
 * tier (see DESIGN.md). The hot path only sees this interface.
 */
import type { SnapshotReply } from "../control/rollout-state";
import { STATE_OBJECT_NAME, type Env } from "../contracts/env";

export interface ConfigSource {
  /** The current config, or `unchanged` when the caller already holds `knownVersion`. */
  read(knownVersion: number): Promise<SnapshotReply>;
}

/** Reads from the authoritative Durable Object by RPC. */
export class DurableObjectConfigSource implements ConfigSource {
  constructor(private readonly namespace: Env["ROLLOUT_STATE"]) {}

  read(knownVersion: number): Promise<SnapshotReply> {
    const stub = this.namespace.get(this.namespace.idFromName(STATE_OBJECT_NAME));
    return stub.getSnapshot(knownVersion) as Promise<SnapshotReply>;
  }
}
