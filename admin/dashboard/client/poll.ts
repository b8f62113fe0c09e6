/** The dashboard re-reads everything on a timer; the router is the only source of truth. */

/** How often the page refreshes (README: "It refreshes every 2 s"). */
export const POLL_MS = 2000;

export interface Poller {
  start(): void;
  stop(): void;
}

/** Calls `tick` every `intervalMs` between `start` and `stop`; starting twice keeps one timer. */
export function poller(tick: () => void, intervalMs = POLL_MS): Poller {
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    start() {
      timer ??= setInterval(tick, intervalMs);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
