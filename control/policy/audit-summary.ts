/**
 * Bounded audit rows. A rollout config may hold two allowlists of 10,000 ids each; an audit row
 * that stored the whole config before and after every change could outgrow SQLite's 2 MB row
 * limit, and then even a kill would fail to save. So an entry keeps only the fields that changed,
 * with long lists and strings summarised, and any valid config's change fits in a row. Pure.
 */

/** Lists longer than this keep their first items and say how many there were. */
export const AUDIT_LIST_ITEMS = 20;
/** Strings longer than this are cut (ids, hosts and prefixes are all shorter). */
export const AUDIT_STRING_CHARS = 500;

/** `value` with every list cut to AUDIT_LIST_ITEMS (plus a "… N more" marker) and long strings cut. */
export function bounded(value: unknown): unknown {
  if (typeof value === "string") return value.length > AUDIT_STRING_CHARS ? `${value.slice(0, AUDIT_STRING_CHARS)}…` : value;
  if (Array.isArray(value)) {
    const kept = value.slice(0, AUDIT_LIST_ITEMS).map(bounded);
    if (value.length > AUDIT_LIST_ITEMS) kept.push(`… ${value.length - AUDIT_LIST_ITEMS} more (${value.length} in all)`);
    return kept;
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bounded(v)]));
  }
  return value;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The audit's `before` and `after` for a change from `before` to `after` (either may be null for
 * a create or a delete): where both are objects, only the fields that differ (recursively), each
 * bounded; lists are shown whole up to AUDIT_LIST_ITEMS.
 */
export function auditDiff(before: unknown, after: unknown): { before: unknown; after: unknown } {
  if (!isObject(before) || !isObject(after)) return { before: bounded(before), after: bounded(after) };
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (same(before[key], after[key])) continue;
    if (isObject(before[key]) && isObject(after[key])) {
      const inner = auditDiff(before[key], after[key]);
      b[key] = inner.before;
      a[key] = inner.after;
      continue;
    }
    if (key in before) b[key] = bounded(before[key]);
    if (key in after) a[key] = bounded(after[key]);
  }
  return { before: b, after: a };
}
