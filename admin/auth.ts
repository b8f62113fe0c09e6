/**
 * Who is calling the admin API: `ADMIN_TOKEN` (the token `admin`, every scope) or a named token
 * checked against this isolate's snapshot (edge/tokens.ts), never a call to the control plane per
 * request. Unknown, expired or revoked tokens get 401; what each route needs is checked next to
 * the route (./scopes.ts). The token's name is the audit actor; X-Actor only adds a note.
 */
import type { MiddlewareHandler } from "hono";
import { ActorSchema } from "../contracts/admin-wire";
import { problemResponse } from "../contracts/problem";
import { bearerToken } from "../contracts/secrets";
import { parseToken } from "../contracts/tokens";
import { authorize, type TokenTable } from "../edge/tokens";
import type { AdminEnv } from "./http";

export interface AuthOptions {
  /** The named tokens in this isolate's snapshot at `now` (undefined: none known, e.g. no snapshot yet). */
  snapshotTokens?: (now: number) => Promise<TokenTable | undefined>;
  clock: () => number;
}

export function authenticate(options: AuthOptions): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    const now = options.clock();
    const presented = bearerToken(header ?? null);
    // Only a named token needs the snapshot: ADMIN_TOKEN works even while the control plane is away.
    const tokens = presented !== undefined && parseToken(presented) ? await options.snapshotTokens?.(now) : undefined;
    const auth = await authorize(tokens, c.env.ADMIN_TOKEN, header, null, now);
    if (!auth.ok) return problemResponse(401, "unauthorized", "Unauthorized", auth.detail, {}, { "www-authenticate": 'Bearer realm="edge-router admin"' });
    const claimed = c.req.header("x-actor");
    if (claimed !== undefined && !ActorSchema.safeParse(claimed).success) {
      return problemResponse(
        400,
        "invalid-actor",
        "Invalid X-Actor",
        "X-Actor adds who is behind the token to the audit log (as a note): 1-100 letters, digits, spaces and . @ + - _.",
      );
    }
    c.set("principal", { name: auth.name, scopes: [...auth.scopes] });
    c.set("note", claimed === undefined ? undefined : `X-Actor: ${claimed}`);
    await next();
    c.header("cache-control", "no-store");
  };
}
