/**
 * How often each key (an identity, per rollout) was seen in the current window, for at most
 * `maxKeys` keys: beyond them a new key is not tracked, so memory stays bounded whatever a client
 * sends. The per-identity caps of the health counts (./health-batcher.ts) and of shadow mirrors
 * (./shadow/limits.ts) both count with it; each starts a new one per window.
 */
export class PerKeyCounts {
  readonly #counts = new Map<string, number>();

  constructor(private readonly maxKeys: number) {}

  /** Counts one more sighting of `key`; returns how many came before it, or undefined when the key is not tracked. */
  seen(key: string): number | undefined {
    const before = this.#counts.get(key);
    if (before === undefined && this.#counts.size >= this.maxKeys) return undefined;
    this.#counts.set(key, (before ?? 0) + 1);
    return before ?? 0;
  }

  /** Keys tracked in this window. */
  get size(): number {
    return this.#counts.size;
  }
}
