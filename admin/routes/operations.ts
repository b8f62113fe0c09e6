/**
 * The global kill switch, QA override tokens, analytics, the audit log and isolate stats. Each
 * route says what its token needs (../scopes.ts).
 */
import { Hono } from "hono";
import { AnalyticsQuerySchema, AuditQuerySchema, OverrideBodySchema } from "../../contracts/admin-wire";
import { toFieldIssues } from "../../contracts/field-issues";
import { problemResponse } from "../../contracts/problem";
import { OVERRIDE_COOKIE, OVERRIDE_HEADER, signOverride } from "../../edge/override";
import { runAnalytics } from "../analytics";
import { checkId, commandProblem, ifMatch, invalidBody, invalidQuery, readJson, rolloutQuery, stateStub, type AdminEnv } from "../http";
import { requires } from "../scopes";
import { writeCommand, type OnWrite } from "../write";

export interface OperationsOptions {
  onWrite: OnWrite;
  /** This isolate's counters, for `GET /stats`. */
  isolateStats?: () => Record<string, unknown>;
  /** Outbound fetch for the Analytics Engine SQL API (tests pass a fake). */
  fetcher?: typeof fetch;
  clock: () => number;
}

export function operationRoutes(options: OperationsOptions): Hono<AdminEnv> {
  const api = new Hono<AdminEnv>();

  for (const action of ["kill", "resume"] as const) {
    api.post(`/${action}`, requires("operate"), async (c) => {
      const version = ifMatch(c);
      if (!version.ok) return version.response;
      const body = await readJson(c, true);
      if (!body.ok) return body.response;
      return writeCommand(c, { type: action === "kill" ? "kill-all" : "resume-all", body: body.body, ifMatch: version.version }, options.onWrite);
    });
  }

  api.post("/rollouts/:id/override-token", requires("admin"), async (c) => {
    const id = c.req.param("id");
    const bad = checkId(id);
    if (bad) return bad;
    const body = await readJson(c, true);
    if (!body.ok) return body.response;
    const parsed = OverrideBodySchema.safeParse(body.body ?? {});
    if (!parsed.success) return invalidBody("The override request is invalid.", toFieldIssues(parsed.error));
    if (!(await stateStub(c.env).getRollout(id))) return commandProblem({ kind: "not-found", rolloutId: id });
    const secret = c.env.OVERRIDE_SECRET;
    if (!secret) {
      return problemResponse(
        501,
        "overrides-not-configured",
        "QA overrides are off",
        "Set OVERRIDE_SECRET (wrangler secret put OVERRIDE_SECRET, or .dev.vars locally) to issue override tokens.",
        { missing: ["OVERRIDE_SECRET"] },
      );
    }
    const issuedAt = Math.floor(options.clock() / 1000);
    const expiresAt = issuedAt + parsed.data.ttlSeconds;
    const token = await signOverride(secret, id, parsed.data.variant, issuedAt, expiresAt);
    return c.json({
      rollout: id,
      variant: parsed.data.variant,
      token,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
      header: OVERRIDE_HEADER,
      cookie: `${OVERRIDE_COOKIE}=${token}; Path=/; Max-Age=${parsed.data.ttlSeconds}; HttpOnly; Secure; SameSite=Lax`,
    });
  });

  api.post("/override-tokens/revoke", requires("admin"), async (c) => {
    const body = await readJson(c, true);
    if (!body.ok) return body.response;
    return writeCommand(c, { type: "revoke-overrides", body: body.body }, options.onWrite);
  });

  api.get("/rollouts/:id/analytics", requires("read"), async (c) => {
    const read = rolloutQuery(c, AnalyticsQuerySchema, "analytics");
    if (!read.ok) return read.response;
    const id = read.id;
    if (!(await stateStub(c.env).getRollout(id))) return commandProblem({ kind: "not-found", rolloutId: id });
    const result = await runAnalytics(c.env, id, read.query.minutes, options.fetcher);
    if (!result.ok) {
      return result.status === 501
        ? problemResponse(501, "analytics-not-configured", "Analytics queries are not configured", result.detail, { missing: result.missing })
        : problemResponse(502, "analytics-upstream", "Analytics Engine SQL API failed", result.detail);
    }
    return c.json(result.body);
  });

  /** Counters of the isolate that answers (each isolate has its own): config refreshes vs requests proxied. */
  api.get("/stats", requires("read"), (c) => c.json({ isolate: options.isolateStats?.() ?? null }));

  api.get("/audit", requires("read"), async (c) => {
    const parsed = AuditQuerySchema.safeParse(c.req.query());
    if (!parsed.success) return invalidQuery("audit", parsed.error);
    const entries = await stateStub(c.env).getAudit({ limit: parsed.data.limit, rolloutId: parsed.data.rollout, before: parsed.data.before });
    return c.json({ entries });
  });

  return api;
}
