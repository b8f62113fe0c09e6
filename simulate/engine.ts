/**
 * A discrete-event engine in virtual time, small enough to trust: a binary heap of timed events,
 * a virtual clock, timers for the modules under test, and a loop that drains JavaScript microtasks
 * between ticks, so that the project's own async code (the snapshot cache awaiting a config
 * source) runs unmodified against simulated network round trips.
 */

interface Event {
  at: number;
  seq: number;
  run: () => void;
}

/** Events closer than this share a tick (their microtasks drain together): 0.1 ms. */
export const TICK_MS = 0.1;

export class Engine {
  private heap: Event[] = [];
  private seq = 0;
  /** The virtual time (ms since the simulation's epoch). */
  now = 0;

  /** Runs `run` at virtual time `at` (not before now). */
  at(at: number, run: () => void): void {
    const event = { at: Math.max(at, this.now), seq: this.seq++, run };
    const h = this.heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  after(ms: number, run: () => void): void {
    this.at(this.now + ms, run);
  }

  /** A promise that resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** Timers in the shape the snapshot cache and the replica source take. */
  readonly timers = {
    setTimeout: (callback: () => void, ms: number): unknown => {
      const handle = { cancelled: false };
      this.after(ms, () => {
        if (!handle.cancelled) callback();
      });
      return handle;
    },
    clearTimeout: (handle: unknown): void => {
      if (handle) (handle as { cancelled: boolean }).cancelled = true;
    },
  };

  private pop(): Event | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Runs every event up to `until` (virtual ms), one tick at a time, draining microtasks between ticks. */
  async run(until: number): Promise<void> {
    while (this.heap.length && this.heap[0]!.at <= until) {
      const tickEnd = this.heap[0]!.at + TICK_MS;
      while (this.heap.length && this.heap[0]!.at < tickEnd && this.heap[0]!.at <= until) {
        const event = this.pop()!;
        this.now = event.at;
        event.run();
      }
      await drain();
    }
    this.now = until;
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets every pending promise callback run (setImmediate runs once the microtask queue is empty). */
function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
