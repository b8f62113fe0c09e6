// Loopback ports and readiness checks.
import net from "node:net";

/** How often `waitFor` retries while a server comes up. */
const RETRY_MS = 25;

/**
 * A port that was free on 127.0.0.1 a moment ago (the OS picks it).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * Polls `url` until it answers with a status below 500.
 * @param {string} url
 * @param {Record<string, string>} [headers]
 * @param {number} [timeoutMs] @default 20000
 * @returns {Promise<number>} milliseconds until the first good answer
 */
export async function waitFor(url, headers = {}, timeoutMs = 20_000) {
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      if (res.status < 500) return Date.now() - started;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}
