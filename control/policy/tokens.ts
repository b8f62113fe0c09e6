/**
 * The token commands: create a named token (from a hash the admin API computed: the secret never
 * reaches the control plane) and revoke one. Each bumps the config version, so that isolates pick
 * up the change with their next snapshot. Pure: state, `now` and the actor in, outcome out.
 */
import { MAX_TOKENS, SHA256_HEX, TOKEN_ID, TokenCreateBodySchema, tokenView, type StoredToken, type TokenView } from "../../contracts/tokens";
import type { CommandContext, CommandOutcome, ControlState } from "./commands";
import { invalid, invalidState, parseBody } from "./rollout-writes";

export type TokenCommand =
  /** `tokenId` and `hash` come from the admin API, which minted the secret and shows it once. */
  { type: "token-create"; body: unknown; tokenId: string; hash: string } | { type: "token-revoke"; tokenId: string };

/** Stores a new token; its name must be free, its expiry in the future. */
export function createToken(state: ControlState, command: Extract<TokenCommand, { type: "token-create" }>, ctx: CommandContext): CommandOutcome {
  const body = parseBody(TokenCreateBodySchema, command.body, "token");
  if (!body.ok) return body.outcome;
  if (!TOKEN_ID.test(command.tokenId) || !SHA256_HEX.test(command.hash)) return invalidState("the token id or hash is malformed (the admin API mints them)");
  const { name, scopes, expiresAt } = body.data;
  if (expiresAt !== undefined && Date.parse(expiresAt) <= ctx.now.getTime())
    return invalid("the token body is invalid", [{ pointer: "/expiresAt", message: "must be in the future: a token that has already expired is of no use" }]);
  const taken = [...state.tokens.values()].find((t) => t.name === name);
  if (taken) return { ok: false, error: { kind: "token-name-taken", name } };
  if (state.tokens.has(command.tokenId)) return invalidState("a token with this id exists already; try again");
  if (state.tokens.size >= MAX_TOKENS) return invalidState(`there are ${MAX_TOKENS} tokens already, the most there may be: revoke one first`);
  const token: StoredToken = {
    id: command.tokenId,
    name,
    scopes: [...new Set(scopes)],
    hash: command.hash,
    createdAt: ctx.now.toISOString(),
    createdBy: ctx.actor,
    expiresAt: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
  };
  const version = state.version + 1;
  return {
    ok: true,
    changed: true,
    state: { ...state, version, tokens: new Map(state.tokens).set(token.id, token) },
    rollout: null,
    audit: { at: ctx.now.toISOString(), actor: ctx.actor, action: "token-create", rolloutId: null, version, before: null, after: tokenView(token), reason: null },
  };
}

/** Removes a token: it fails everywhere once isolates hold the next snapshot. */
export function revokeToken(state: ControlState, command: Extract<TokenCommand, { type: "token-revoke" }>, ctx: CommandContext): CommandOutcome {
  const token = state.tokens.get(command.tokenId);
  if (!token) return { ok: false, error: { kind: "token-not-found", tokenId: command.tokenId } };
  const tokens = new Map(state.tokens);
  tokens.delete(token.id);
  const version = state.version + 1;
  return {
    ok: true,
    changed: true,
    state: { ...state, version, tokens },
    rollout: null,
    audit: { at: ctx.now.toISOString(), actor: ctx.actor, action: "token-revoke", rolloutId: null, version, before: tokenView(token), after: null, reason: null },
  };
}

/** Named tokens, oldest first (then by name): never their secret (never stored) nor their hash. */
export function tokenList(state: ControlState): TokenView[] {
  return [...state.tokens.values()].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.name < b.name ? -1 : 1)).map(tokenView);
}
