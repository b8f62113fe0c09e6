// Waiting on a condition instead of guessing a duration: poll, with a deadline, and say what was
// awaited when the deadline passes.
import { setTimeout as delay } from "node:timers/promises";

/** How long `waitUntil` polls before it gives up. */
export const DEFAULT_TIMEOUT_MS = 5_000;
/** How often `waitUntil` polls. */
export const DEFAULT_INTERVAL_MS = 50;

/**
 * @typedef {object} WaitOptions
 * @property {number} [timeoutMs] how long to keep trying (default: 5000)
 * @property {number} [intervalMs] pause between tries (default: 50)
 * @property {AbortSignal} [signal] stops the wait at once, rejecting with the signal's reason
 * @property {string | (() => string)} [message] what was awaited, for the timeout error (a function can
 *   name the last state seen)
 */

/**
 * Calls `check` until it returns a truthy value, and resolves with that value. `check` runs at least
 * once, and once more at the deadline; an error thrown by `check` ends the wait with that error.
 * @template T
 * @param {() => T | Promise<T>} check
 * @param {WaitOptions} [options]
 * @returns {Promise<Exclude<T, undefined | null | false | 0 | "">>}
 * @example
 * const line = await waitUntil(() => output().split("\n").find((l) => l.includes("ready")), { timeoutMs: 2000 });
 */
export async function waitUntil(check, { timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = DEFAULT_INTERVAL_MS, signal, message = "the condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const value = await check();
    if (value) return /** @type {Exclude<T, undefined | null | false | 0 | "">} */ (value);
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof message === "function" ? message() : message}`);
    try {
      await delay(Math.min(intervalMs, left), undefined, signal ? { signal } : undefined);
    } catch (error) {
      signal?.throwIfAborted();
      throw error;
    }
  }
}
