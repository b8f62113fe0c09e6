/**
 * `/tokens`: create (the secret shown once), list (never a secret or a hash) and revoke named
 * tokens, all `admin`; `/whoami`: the calling token's name and scopes, for any valid token. The
 * secret is minted here and only its SHA-256 goes to the control plane.
 */
import { Hono } from "hono";
import { mintToken, TOKEN_ID, type TokenView } from "../../contracts/tokens";
import { commandProblem, readJson, stateStub, type AdminEnv } from "../http";
import { requires } from "../scopes";
import type { OnWrite } from "../write";

/** Printed with every new token: it cannot be shown again. */
export const SHOWN_ONCE = "Store this token now: it is shown only once (the router keeps only its SHA-256).";

export function tokenRoutes(onWrite: OnWrite): Hono<AdminEnv> {
  const api = new Hono<AdminEnv>();

  api.get("/whoami", requires("any-token"), (c) => c.json(c.get("principal")));

  api.get("/tokens", requires("admin"), async (c) => c.json({ tokens: await stateStub(c.env).listTokens() }));

  api.post("/tokens", requires("admin"), async (c) => {
    const body = await readJson(c, false);
    if (!body.ok) return body.response;
    const minted = await mintToken();
    const stub = stateStub(c.env);
    const reply = await stub.apply({ type: "token-create", body: body.body, tokenId: minted.id, hash: minted.hash }, c.get("principal").name, c.get("note"));
    if (!reply.ok) return commandProblem(reply.error);
    onWrite?.();
    const view: TokenView | undefined = (await stub.listTokens()).find((t) => t.id === minted.id);
    return c.json({ ...view, id: minted.id, token: minted.token, version: reply.version, warning: SHOWN_ONCE }, 201);
  });

  api.delete("/tokens/:id", requires("admin"), async (c) => {
    const id = c.req.param("id");
    // An id of another shape was never issued: the same answer as for a revoked one.
    if (!TOKEN_ID.test(id)) return commandProblem({ kind: "token-not-found", tokenId: id.slice(0, 64) });
    const reply = await stateStub(c.env).apply({ type: "token-revoke", tokenId: id }, c.get("principal").name, c.get("note"));
    if (!reply.ok) return commandProblem(reply.error);
    onWrite?.();
    return c.json({ version: reply.version, revoked: id });
  });

  return api;
}
