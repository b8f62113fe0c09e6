/**
 * Where an isolate reads its config snapshot from. The hot path only sees this interface; the
 * implementations live in edge/config-source/ (the primary Durable Object, a replica tier) and
 * every one of them runs the same contract suite (test/contracts/config-source.contract.ts).
 */
import type { ConfigSnapshot } from "./rollout";
import type { VarProblem } from "./vars";

/**
 * What a config source answers when an isolate asks for the config. `asOf` (ms since the epoch):
 * when the answering tier last confirmed this state with the primary, for a tier that may lag
 * (a replica, a cache); absent = current as the answer is sent.
 */
export type SnapshotReply = (
  | /** The caller already holds the current version. */ { status: "unchanged"; version: number }
  | { status: "snapshot"; snapshot: ConfigSnapshot }
  /** The control plane holds no config and cannot seed one from the vars: they are broken. */
  | { status: "unconfigured"; problems: VarProblem[] }
) & { asOf?: number };

export interface ConfigSource {
  /** The current config, or `unchanged` when the caller already holds `knownVersion` (-1: holds none). */
  read(knownVersion: number): Promise<SnapshotReply>;
}
