// Steady load from Node: concurrent request loops through the router, each cycling its own user
// ids, recording when every request started, how long it took and which origin answered.

/**
 * Starts `loops` request loops against `${url}/__origin/bytes?n=64`; `stop()` ends them and
 * resolves with every request seen.
 * @returns {{ stop: () => Promise<Array<{ startedAt: number, ms: number, origin: string | null }>> }}
 */
export function steadyLoad(url, { loops, usersPerLoop, prefix }) {
  const seen = [];
  let running = true;
  let n = 0;
  const all = Array.from({ length: loops }, async (_, w) => {
    while (running) {
      const startedAt = performance.now();
      const res = await fetch(`${url}/__origin/bytes?n=64`, { headers: { "x-user-id": `${prefix}-${w}-${n++ % usersPerLoop}` } });
      await res.arrayBuffer();
      seen.push({ startedAt, ms: performance.now() - startedAt, origin: res.headers.get("x-origin") });
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(all);
      return seen;
    },
  };
}

/** Start of the last request that still reached new (-Infinity when none did). */
const lastToNew = (seen) => Math.max(-Infinity, ...seen.filter((s) => s.origin === "new").map((s) => s.startedAt));

/**
 * What a kill acknowledged at `ack` left behind in `seen`: ms from the acknowledgement to the start
 * of the last request that still reached new (0 when none did after it), and how many requests
 * reached new over `boundMs` after it.
 * @param {Array<{ startedAt: number, origin: string | null }>} seen
 * @param {number} ack @param {number} boundMs
 */
export function killOutcome(seen, ack, boundMs) {
  return { ms: Math.max(0, lastToNew(seen) - ack), late: seen.filter((s) => s.origin === "new" && s.startedAt > ack + boundMs).length };
}
