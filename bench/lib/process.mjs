// Child processes of the bench (workerd, nginx): each in its own process group, so stopping it
// also stops anything it spawned, and so its CPU time can be read per group (lib/cpu.mjs).
import { spawn } from "node:child_process";

/** How long a process gets to exit on SIGTERM before it is killed. */
const GRACE_MS = 200;
/** How much of a process's stderr is kept for error reports. */
const STDERR_KEPT_CHARS = 20_000;

const running = new Set();

/**
 * @typedef {{ pid: number, output: () => string, stop: () => Promise<void> }} Started
 */

/**
 * Starts `cmd` detached (its own process group, whose id is its pid). stdout goes to /dev/null:
 * workerd writes one log line per request, and collecting it here would load this process, which
 * also serves the origins. The tail of stderr is kept for error reports.
 * @param {string} cmd
 * @param {string[]} args
 * @param {import("node:child_process").SpawnOptions} [options]
 * @returns {Started}
 */
export function startProcess(cmd, args, options = {}) {
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", "ignore", "pipe"], ...options });
  let output = "";
  child.stderr?.on("data", (d) => (output = (output + d).slice(-STDERR_KEPT_CHARS)));
  running.add(child);
  return {
    pid: /** @type {number} */ (child.pid),
    output: () => output,
    stop: async () => {
      signalGroup(child.pid, "SIGTERM");
      await new Promise((r) => setTimeout(r, GRACE_MS));
      signalGroup(child.pid, "SIGKILL");
      running.delete(child);
    },
  };
}

/** Kills every process group this module started and has not stopped yet (on exit or failure). */
export function stopAll() {
  for (const child of running) signalGroup(child.pid, "SIGKILL");
  running.clear();
}

function signalGroup(pid, signal) {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
