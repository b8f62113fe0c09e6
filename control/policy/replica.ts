/**
 * A regional config replica's rules, pure (`now` passed in). A replica holds the primary's latest
 * snapshot, pushed on every write and confirmed by a pull every CONFIRM_EVERY_MS while isolates
 * read it (a lost push is caught up by version within that time). Its answers carry `asOf`: when
 * the primary last confirmed them, so an isolate can tell a replica that lost touch. It also
 * aggregates the health flushes of its isolates and forwards them to the primary at most once per
 * FORWARD_EVERY_MS: the primary's load is O(replicas), not O(isolates).
 */
import type { SnapshotReply } from "../../contracts/config-source";
import { type HealthFlush, mergeFlushes } from "../../contracts/health";

/** A replica asks the primary whether it is still current this often while it is being read. */
export const CONFIRM_EVERY_MS = 200;
/** A replica stops confirming (its alarm stops) after this long without a read. */
export const IDLE_AFTER_MS = 60_000;
/** A replica forwards merged health to the primary at most this often. */
export const FORWARD_EVERY_MS = 1000;

export interface ReplicaState {
  /** The primary's last answer with content (a snapshot, or "unconfigured"); undefined before the first. */
  held: Exclude<SnapshotReply, { status: "unchanged" }> | undefined;
  /** The version held (-1 = none). */
  version: number;
  /** When the primary last confirmed `held` as current (its clock, ms). */
  confirmedAt: number;
  lastReadAt: number;
  pendingHealth: HealthFlush | undefined;
  lastForwardAt: number;
}

export const EMPTY_REPLICA: ReplicaState = {
  held: undefined,
  version: -1,
  confirmedAt: Number.NEGATIVE_INFINITY,
  lastReadAt: Number.NEGATIVE_INFINITY,
  pendingHealth: undefined,
  lastForwardAt: Number.NEGATIVE_INFINITY,
};

const versionOf = (reply: SnapshotReply) => (reply.status === "snapshot" ? reply.snapshot.version : reply.status === "unchanged" ? reply.version : 0);

/**
 * Takes an answer or a push from the primary (`asOf`: when the primary sent it). A reply older
 * than what is held changes nothing; a newer or equal one confirms the replica up to `asOf`.
 */
export function fromPrimary(state: ReplicaState, reply: SnapshotReply, asOf: number): ReplicaState {
  const version = versionOf(reply);
  if (reply.status === "unchanged") {
    return reply.version === state.version ? { ...state, confirmedAt: Math.max(state.confirmedAt, asOf) } : state;
  }
  if (state.held && version < state.version) return state;
  return { ...state, held: reply, version, confirmedAt: Math.max(state.confirmedAt, asOf) };
}

/** The replica's answer to an isolate holding `knownVersion`, or undefined when it holds nothing yet (pull first). */
export function answer(state: ReplicaState, knownVersion: number): SnapshotReply | undefined {
  if (!state.held) return undefined;
  if (state.held.status === "snapshot" && knownVersion === state.version) return { status: "unchanged", version: knownVersion, asOf: state.confirmedAt };
  return { ...state.held, asOf: state.confirmedAt };
}

/** Whether the replica should ask the primary before answering or on its alarm. */
export function needsConfirm(state: ReplicaState, now: number): boolean {
  return !state.held || now - state.confirmedAt >= CONFIRM_EVERY_MS;
}

/** Whether isolates still read this replica (its alarm keeps confirming only then). */
export function isActive(state: ReplicaState, now: number): boolean {
  return now - state.lastReadAt < IDLE_AFTER_MS || state.pendingHealth !== undefined;
}

/** Adds an isolate's flush; returns what to forward to the primary now, if it is time. */
export function addHealth(state: ReplicaState, flush: HealthFlush, now: number): { state: ReplicaState; forward: HealthFlush | undefined } {
  const pending = state.pendingHealth ? mergeFlushes(state.pendingHealth, flush) : flush;
  return takeForward({ ...state, pendingHealth: pending }, now);
}

/** The merged health to forward now (at most once per FORWARD_EVERY_MS), and the state after. */
export function takeForward(state: ReplicaState, now: number): { state: ReplicaState; forward: HealthFlush | undefined } {
  if (!state.pendingHealth || now - state.lastForwardAt < FORWARD_EVERY_MS) return { state, forward: undefined };
  return { state: { ...state, pendingHealth: undefined, lastForwardAt: now }, forward: state.pendingHealth };
}
