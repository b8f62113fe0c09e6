// Child processes that start children of their own (wrangler → workerd, nginx → its workers):
// each runs in its own process group, so one signal reaches all of it. Stopping asks first
// (SIGTERM to the group), waits for the group to be gone up to a grace period, then kills what is
// left (SIGKILL). Every group still running when this process exits, normally or on an uncaught
// error, is killed, so a failed run or a forgotten stop() leaves nothing behind.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { finished } from "node:stream/promises";
import { setTimeout as delay } from "node:timers/promises";
import { waitUntil } from "./wait.mjs";

/** How long a group gets between SIGTERM and SIGKILL, unless the caller says otherwise. */
export const DEFAULT_GRACE_MS = 2_000;
/** How often `stop` looks whether the group is gone. */
const GONE_POLL_MS = 20;
/** How long `stop` waits for SIGKILLed processes to disappear (the kernel needs milliseconds). */
const KILLED_WAIT_MS = 1_000;
/** How long `stop` waits for the last output in the pipes once the group is gone. */
const DRAIN_WAIT_MS = 1_000;

/** Process group ids started here and not known to be gone. */
const running = new Set();
let exitHookInstalled = false;

/**
 * @typedef {object} ProcessGroup
 * @property {number} pid the leader's pid, which is also the group's id
 * @property {import("node:child_process").ChildProcess} child the leader (its pipes, its events)
 * @property {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} exited resolves when the leader exits
 * @property {() => string} output the kept tail of what the leader's piped stdout and stderr printed
 * @property {() => Promise<void>} stop SIGTERM, up to `graceMs` for the group to go, then SIGKILL; once it
 *   resolves, the group is gone and `output()` holds all it printed. Idempotent.
 * @property {() => void} kill SIGKILL to the whole group now, no grace
 */

/**
 * @typedef {import("node:child_process").SpawnOptions & { graceMs?: number, keepOutput?: number }} GroupOptions
 *   graceMs: see `stop` (default DEFAULT_GRACE_MS); keepOutput: how many trailing characters of piped
 *   output `output()` keeps (default all; 0 keeps nothing and leaves the pipes to the caller, who must
 *   then read them or the child blocks once they fill). stdio defaults to ["ignore", "pipe", "pipe"].
 */

/**
 * Starts `command` as the leader of a new process group and registers it, so that it is killed if
 * this process exits first. Rejects if it cannot be started at all (ENOENT, EACCES).
 * @param {string} command
 * @param {string[]} args
 * @param {GroupOptions} [options]
 * @returns {Promise<ProcessGroup>}
 * @example
 * const group = await startGroup("wrangler", ["dev"], { graceMs: 3000 });
 * try { ... } finally { await group.stop(); }
 */
export async function startGroup(command, args, options = {}) {
  const { graceMs = DEFAULT_GRACE_MS, keepOutput = Number.POSITIVE_INFINITY, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...spawnOptions, detached: true });
  /** @type {ProcessGroup["exited"]} */
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  await once(child, "spawn");
  const pid = /** @type {number} */ (child.pid);
  register(pid);
  // A leader that exits on its own with nothing left in its group needs no killing later (and its
  // id must not be signalled once the system may reuse it).
  exited.then(() => {
    if (!groupAlive(pid)) running.delete(pid);
  });
  const output = keepTail(child, keepOutput);

  /** @type {Promise<void> | undefined} */
  let stopped;
  const stop = () =>
    (stopped ??= (async () => {
      signalGroup(pid, "SIGTERM");
      await untilGone(pid, graceMs);
      signalGroup(pid, "SIGKILL");
      await untilGone(pid, KILLED_WAIT_MS);
      running.delete(pid);
      await drained(child);
    })());
  const kill = () => {
    signalGroup(pid, "SIGKILL");
    running.delete(pid);
  };
  return { pid, child, exited, output, stop, kill };
}

/** SIGKILL to every group started here and not stopped yet: for exit and failure paths (synchronous). */
export function killAllGroups() {
  for (const pid of running) signalGroup(pid, "SIGKILL");
  running.clear();
}

/** @param {number} pid */
function register(pid) {
  running.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // "exit" also fires on process.exit() and on an uncaught exception; only synchronous work runs there.
  process.on("exit", killAllGroups);
}

/**
 * @param {import("node:child_process").ChildProcess} child
 * @param {number} limit
 * @returns {() => string}
 */
function keepTail(child, limit) {
  let text = "";
  if (limit <= 0) return () => text;
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    text += chunk.toString();
    if (text.length > limit) text = text.slice(-limit);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => text;
}

/**
 * Until the child's pipes have delivered everything (they close when the last process holding them
 * is gone), or DRAIN_WAIT_MS at most.
 * @param {import("node:child_process").ChildProcess} child
 */
async function drained(child) {
  const streams = [child.stdout, child.stderr].filter((s) => s !== null);
  const timer = new AbortController();
  const timeout = delay(DRAIN_WAIT_MS, undefined, { signal: timer.signal }).catch(() => undefined);
  await Promise.race([Promise.allSettled(streams.map((s) => finished(s))), timeout]);
  timer.abort();
}

/** @param {number} pgid @param {number} timeoutMs */
async function untilGone(pgid, timeoutMs) {
  await waitUntil(() => !groupAlive(pgid), { timeoutMs, intervalMs: GONE_POLL_MS }).catch(() => undefined);
}

/** @param {number} pgid @param {NodeJS.Signals} signal */
function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Nothing left in the group.
  }
}

/**
 * Whether any process of group `pgid` still runs. Zombies do not count: where no init reaps orphans
 * (some containers), a dead grandchild stays a zombie of the group forever, holding nothing.
 * @param {number} pgid
 * @returns {boolean}
 */
function groupAlive(pgid) {
  const members = procGroupStates(pgid);
  if (members) return members.some((state) => state !== "Z" && state !== "X");
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === "EPERM";
  }
}

/**
 * The states (R, S, D, Z, ...) of the processes in group `pgid`, from /proc; undefined without /proc.
 * @param {number} pgid
 * @returns {string[] | undefined}
 */
function procGroupStates(pgid) {
  let entries;
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  const states = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name (which may hold spaces and parentheses): state, ppid, pgrp, ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state) states.push(state);
  }
  return states;
}
