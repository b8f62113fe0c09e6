/**
 * `edge-router token create|list|revoke`: named tokens with scopes. `create` prints the token alone
 * on stdout (so `> file` or `$(…)` captures just it) and what was created, with a warning, on
 * stderr: the secret is shown this once.
 */
import { TokenCreateBodySchema, type TokenView } from "../../contracts/tokens";
import type { Shape } from "../shapes";
import type { Context } from "../context";
import { CliError, EXIT } from "../exit";
import { table, utc } from "../format";

type Created = TokenView & { token: string; version: number; warning: string };

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isView = (v: unknown): v is TokenView => isRecord(v) && typeof v.id === "string" && typeof v.name === "string" && Array.isArray(v.scopes);
const isCreated: Shape<Created> = (v): v is Created => isView(v) && typeof (v as Record<string, unknown>).token === "string";
const isList: Shape<{ tokens: TokenView[] }> = (v): v is { tokens: TokenView[] } => isRecord(v) && Array.isArray(v.tokens) && v.tokens.every(isView);
const isRevoked: Shape<{ version: number; revoked: string }> = (v): v is { version: number; revoked: string } =>
  isRecord(v) && typeof v.version === "number" && typeof v.revoked === "string";

/** The create body from the command line, checked with the router's own schema (nothing is sent when it fails). */
export function createBody(name: string, scopes: string | undefined, expires: string | undefined) {
  if (scopes === undefined) throw new CliError(EXIT.usage, "token create needs --scopes, e.g. --scopes read,operate");
  const body = { name, scopes: scopes.split(",").map((s) => s.trim()), ...(expires !== undefined ? { expiresAt: expires } : {}) };
  const parsed = TokenCreateBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path[0] === "expiresAt" ? "--expires" : issue.path[0] === "scopes" ? "--scopes" : "the name";
    throw new CliError(EXIT.invalid, `${field} ${issue.message}`);
  }
  return parsed.data;
}

async function create(ctx: Context, name: string | undefined): Promise<void> {
  if (name === undefined) throw new CliError(EXIT.usage, "usage: edge-router token create NAME --scopes read,operate [--expires TIME]");
  const body = createBody(name, ctx.values.scopes, ctx.values.expires);
  const { body: created } = await ctx.client().request("POST", "/tokens", isCreated, { body, feature: "named tokens" });
  if (ctx.settings.json) return ctx.io.out(JSON.stringify(created, null, 2));
  const expiry = created.expiresAt ? `expires ${utc(created.expiresAt)} UTC` : "never expires";
  ctx.io.err(`created token ${created.name} (id ${created.id}; scopes ${created.scopes.join(", ")}; ${expiry}; version ${created.version})`);
  ctx.io.err(ctx.c.yellow(`warning: ${created.warning} Send it as Authorization: Bearer <token> (EDGE_ROUTER_TOKEN for this tool).`));
  ctx.io.out(created.token);
}

async function list(ctx: Context): Promise<void> {
  const { body } = await ctx.client().get("/tokens", isList, { feature: "named tokens" });
  if (ctx.settings.json) return ctx.io.out(JSON.stringify(body, null, 2));
  if (!body.tokens.length) return ctx.io.out("no named tokens (ADMIN_TOKEN is the only one)");
  const now = ctx.io.now().getTime();
  const expiry = (t: TokenView) => (t.expiresAt === null ? "never" : `${utc(t.expiresAt)}${Date.parse(t.expiresAt) <= now ? ctx.c.red(" (expired)") : ""}`);
  ctx.io.out(
    table(
      ["ID", "NAME", "SCOPES", "CREATED", "BY", "EXPIRES"],
      body.tokens.map((t) => [t.id, t.name, t.scopes.join(","), utc(t.createdAt), t.createdBy, expiry(t)]),
    ),
  );
}

async function revoke(ctx: Context, id: string | undefined): Promise<void> {
  if (id === undefined) throw new CliError(EXIT.usage, "usage: edge-router token revoke ID (edge-router token list shows the ids)");
  const { body } = await ctx.client().request("DELETE", `/tokens/${encodeURIComponent(id)}`, isRevoked, { feature: "named tokens" });
  if (ctx.settings.json) return ctx.io.out(JSON.stringify(body, null, 2));
  ctx.io.out(`revoked token ${body.revoked} (version ${body.version}): it fails everywhere within the config freshness window`);
}

export async function token(ctx: Context): Promise<void> {
  const [action, arg] = ctx.args;
  const creating = action === "create";
  if (!creating && (ctx.values.scopes !== undefined || ctx.values.expires !== undefined)) throw new CliError(EXIT.usage, "--scopes and --expires go with token create only");
  if (action === "list" && arg !== undefined) throw new CliError(EXIT.usage, "token list takes no argument");
  if (creating) return create(ctx, arg);
  if (action === "list") return list(ctx);
  if (action === "revoke") return revoke(ctx, arg);
  throw new CliError(EXIT.usage, `unknown token action ${JSON.stringify(action)}: create, list or revoke (see edge-router token --help)`);
}
