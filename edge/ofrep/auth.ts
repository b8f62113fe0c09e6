/**
 * Who may evaluate: a hook the OFREP handler calls before anything else. Until scoped tokens land
 * it accepts the admin token (edge/index.ts wires {@link adminTokenAuthorizer}); the hook's shape
 * is what a scoped-token check returns for a token with the `evaluate` scope.
 */
import { bearerToken, isAdminToken } from "../../contracts/secrets";

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
 * Accepts `Authorization: Bearer <ADMIN_TOKEN>` (compared in constant time). No admin token
 * configured = closed: every request gets a 401.
 *
 * @example adminTokenAuthorizer(env.ADMIN_TOKEN || undefined)
 */
export function adminTokenAuthorizer(adminToken: string | undefined): Authorize {
  return async (request) => {
    if (!adminToken) return { ok: false, status: 401, detail: "OFREP is closed: no token is configured on the router (set ADMIN_TOKEN)." };
    const presented = bearerToken(request.headers.get("authorization"));
    if (!presented) return { ok: false, status: 401, detail: "Send a token with the evaluate scope: Authorization: Bearer <token>." };
    if (!(await isAdminToken(presented, adminToken))) return { ok: false, status: 401, detail: "The bearer token is not accepted." };
    return { ok: true, name: "admin" };
  };
}
