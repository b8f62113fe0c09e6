/** Config sources of the hot path (the interface is in contracts/config-source.ts). */
import type { ConfigSource, SnapshotReply } from "../contracts/config-source";
import { STATE_OBJECT_NAME } from "../contracts/env";

/** Reads from the authoritative Durable Object by RPC. */
export class DurableObjectConfigSource implements ConfigSource {
  constructor(private readonly namespace: Env["ROLLOUT_STATE"]) {}

  read(knownVersion: number): Promise<SnapshotReply> {
    const stub = this.namespace.get(this.namespace.idFromName(STATE_OBJECT_NAME));
    return stub.getSnapshot(knownVersion);
  }
}
