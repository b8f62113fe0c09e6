/**
 * Saving a keyed collection as a diff: the control state is immutable, so an entry that did not
 * change is the very same object in the next state, and only what changed is written.
 */

/**
 * Calls `remove` for each key `next` no longer has and `write` for each entry that is new in `next`
 * or not the same object as in `current`. Call inside the write's transaction.
 */
export function writeChanges<V>(current: ReadonlyMap<string, V>, next: ReadonlyMap<string, V>, remove: (key: string) => void, write: (key: string, value: V) => void): void {
  if (current === next) return;
  for (const key of current.keys()) {
    if (!next.has(key)) remove(key);
  }
  for (const [key, value] of next) {
    if (current.get(key) !== value) write(key, value);
  }
}
