/**
 * The simulated network and Durable Objects: each object is a single-threaded server with a FIFO
 * queue, and a call to it costs half a round trip there (from the RTT model), its queue, its
 * service time, and half a round trip back, all in the engine's virtual time.
 */
import type { Engine } from "./engine";
import { rttMs, type LatLon } from "./rtt";

/** One Durable Object: a single-threaded server with a FIFO queue. */
export class Server {
  busyUntil = 0;
  calls = 0;
  /** Calls per virtual second (index = second). */
  readonly perSecond: number[] = [];
  down = false;
  extraMs = 0;
  constructor(
    readonly name: string,
    readonly at: LatLon,
    readonly serviceMs: number,
  ) {}
}

/**
 * A call from `from` across the network to `server`, answered with what `handler` returns. A server
 * that is down never answers: the caller's own timeout decides.
 */
export function callServer<T>(engine: Engine, from: LatLon, server: Server, handler: () => T | Promise<T>): Promise<T> {
  const e = engine;
  const half = rttMs(from, server.at) / 2;
  return new Promise<T>((resolve, reject) => {
    e.after(half, () => {
      if (server.down) return; // never answers: the caller's own timeout decides
      const second = Math.floor(e.now / 1000);
      server.perSecond[second] = (server.perSecond[second] ?? 0) + 1;
      server.calls++;
      const start = Math.max(e.now, server.busyUntil);
      server.busyUntil = start + server.serviceMs;
      e.at(server.busyUntil + server.extraMs, () => {
        Promise.resolve()
          .then(handler)
          .then(
            (value) => e.after(half, () => resolve(value)),
            (error) => e.after(half, () => reject(error)),
          );
      });
    });
  });
}
