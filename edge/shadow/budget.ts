/**
 * A per-isolate cap on mirrors in flight. Mirrors are extra work the user does not wait for; when
 * the new origin slows down they pile up, so past the cap a request is simply not mirrored (the
 * comparison is a sample anyway) instead of holding connections and memory in the isolate.
 */

/**
 * Counts mirrors in flight against a maximum.
 *
 * @example
 * if (budget.tryAcquire()) ctx.waitUntil(mirror().finally(() => budget.release()));
 */
export class ShadowBudget {
  #inFlight = 0;
  readonly #max: number;

  /** @param max most mirrors at once (`maxConcurrent`, 1-1000); a non-positive value allows none. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Takes a slot if one is free; `false` means "do not mirror this request". */
  tryAcquire(): boolean {
    if (this.#inFlight >= this.#max) return false;
    this.#inFlight++;
    return true;
  }

  /** Returns a slot. An extra release is ignored: the count never goes below zero. */
  release(): void {
    if (this.#inFlight > 0) this.#inFlight--;
  }

  /** Mirrors in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }
}
