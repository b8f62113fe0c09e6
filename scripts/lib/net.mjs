// Loopback ports and readiness checks for the processes the scripts, tests and benchmarks start.
import net from "node:net";
import { waitUntil } from "./wait.mjs";

/** Where everything local listens. */
export const LOOPBACK = "127.0.0.1";

/**
 * A port that was free on `host` a moment ago: `preferred` when it is free, else one the OS picks.
 * Someone else may bind it before the caller does; a caller that can should retry on EADDRINUSE.
 * @param {{ preferred?: number, host?: string }} [options]
 * @returns {Promise<number>}
 * @example
 * await freePort(); // e.g. 41873
 * await freePort({ preferred: 8787 }); // 8787, or any free port when 8787 is taken
 */
export async function freePort({ preferred, host = LOOPBACK } = {}) {
  if (preferred) {
    const port = await bindAndRelease(preferred, host).catch(() => undefined);
    if (port) return port;
  }
  return bindAndRelease(0, host);
}

/** @param {number} port @param {string} host @returns {Promise<number>} the port bound */
function bindAndRelease(port, host) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(port, host, () => {
      const { port: bound } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(bound));
    });
  });
}

/**
 * @typedef {object} WaitForOptions
 * @property {Record<string, string>} [headers] sent with every try
 * @property {(status: number, body: string) => boolean} [ready] whether an answer means "up" (default: status below 500)
 * @property {number} [timeoutMs] (default: 20000)
 * @property {number} [intervalMs] between tries; also the resolution of the returned time (default: 25)
 * @property {number} [requestTimeoutMs] one try's limit (a server that accepts but hangs) (default: 5000)
 * @property {AbortSignal} [signal] gives up at once (e.g. when the server's process exits)
 */

/**
 * Polls `url` until an answer is `ready`.
 * @param {string} url
 * @param {WaitForOptions} [options]
 * @returns {Promise<number>} milliseconds until the first ready answer
 * @example
 * await waitFor(`${url}/__admin/api/openapi.json`, { ready: (status) => status === 200, timeoutMs: 90_000 });
 */
export async function waitFor(url, { headers = {}, ready = (status) => status < 500, timeoutMs = 20_000, intervalMs = 25, requestTimeoutMs = 5_000, signal } = {}) {
  const started = Date.now();
  let last = "no answer yet";
  await waitUntil(
    async () => {
      const timeout = AbortSignal.timeout(requestTimeoutMs);
      try {
        const res = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
        const body = await res.text();
        last = `status ${res.status}`;
        return ready(res.status, body);
      } catch (error) {
        last = /** @type {{ cause?: { code?: string } }} */ (error).cause?.code ?? String(error);
        return false;
      }
    },
    { timeoutMs, intervalMs, signal, message: () => `${url} to answer (last: ${last})` },
  );
  return Date.now() - started;
}
