/**
 * Who may evaluate: a hook the OFREP handler calls before anything else; edge/index.ts wires
 * {@link scopedTokenAuthorizer} (a token with the `evaluate` scope).
 */
import type { SnapshotCache } from "../snapshot-cache";
import { authorize } from "../tokens";

/**
 * The verdict on a request. `ok`: the caller holds a token with the `evaluate` scope, and `name`
 * names it. Such a caller is a backend trusted to vouch for the user it names, so its
 * `targetingKey` counts as a verified identity (allowlists apply) unless `vouchesForIdentity` is
 * false (for a token that may end up in a browser or an app, where anyone can read it).
 * `status` 401: no usable credentials; 403: a valid token without the `evaluate` scope.
 */
export type Authorization = { ok: true; name: string; vouchesForIdentity?: boolean } | { ok: false; status: 401 | 403; detail: string };

export type Authorize = (request: Request) => Promise<Authorization>;

/**
 * Accepts a bearer token with the `evaluate` scope (a named token, or ADMIN_TOKEN, which has every
 * scope), checked against the tokens in the isolate's config snapshot: no Durable Object call per
 * evaluation, and a revoked token stops working within the freshness window.
 */
export function scopedTokenAuthorizer(cache: Pick<SnapshotCache, "read">, adminToken: string | undefined, clock: () => number): Authorize {
  return async (request) => {
    const now = clock();
    const read = await cache.read(now);
    const tokens = read.kind === "table" ? read.table.tokens : undefined;
    const verdict = await authorize(tokens, adminToken, request.headers.get("authorization"), "evaluate", now);
    return verdict.ok ? { ok: true, name: verdict.name } : verdict;
  };
}
