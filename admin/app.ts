/**
 * The operator API under /__admin/api: bearer-token auth (constant time; no token configured =
 * closed), JSON in and out, RFC 9457 problems with field-level details, optimistic concurrency
 * with ETag/If-Match. Every write goes to the one Durable Object, which validates it again.
 */
import { Hono, type Context } from "hono";
import { ActorSchema, AnalyticsQuerySchema, AuditQuerySchema, HealthQuerySchema, OverrideBodySchema, type RolloutRecord, type RolloutView } from "../contracts/admin-wire";
import type { Command, CommandError } from "../control/policy/commands";
import { toFieldIssues, type FieldIssue } from "../contracts/field-issues";
import { RolloutId } from "../contracts/rollout";
import { DEFAULT_ADMIN_PREFIX } from "../contracts/vars";
import { bearerToken, isAdminToken } from "../contracts/secrets";
import { STATE_OBJECT_NAME } from "../contracts/env";
import { OVERRIDE_COOKIE, OVERRIDE_HEADER, signOverride } from "../edge/override";
import { problemResponse } from "../contracts/problem";
import { dashboardHeaders, renderDashboard } from "./dashboard/page";
import { openApiDocument } from "./openapi";
import { runAnalytics } from "./analytics";

/** Largest admin request body accepted. */
export const MAX_BODY_BYTES = 1024 * 1024;

type AdminEnv = { Bindings: Env; Variables: { actor: string } };

export interface AdminOptions {
  /** Called after every successful write, so this isolate's snapshot refreshes at once. */
  onWrite?: () => void;
  /** This isolate's counters, for `GET /stats`. */
  isolateStats?: () => Record<string, unknown>;
  /** Outbound fetch for the Analytics Engine SQL API (tests pass a fake). */
  fetcher?: typeof fetch;
  /** The reserved path prefix. @default "/__admin" */
  prefix?: string;
}

/** A rollout as the admin API shows it. */
export function rolloutView(stored: RolloutRecord): RolloutView {
  return {
    id: stored.config.id,
    status: stored.status,
    version: stored.version,
    updatedAt: stored.updatedAt,
    updatedBy: stored.updatedBy,
    killReason: stored.killReason,
    percentSince: stored.percentSince ?? stored.updatedAt,
    paused: stored.paused ?? false,
    pauseReason: stored.pauseReason ?? null,
    stage: stored.stage,
    config: stored.config,
  };
}

const etag = (version: number) => `"${version}"`;

/** `If-Match: "7"` (or `7`, `W/"7"`) → 7; `*` → undefined; absent → undefined; garbage → error. */
export function parseIfMatch(header: string | undefined): { ok: true; version: number | undefined } | { ok: false; detail: string } {
  if (header === undefined || header.trim() === "*") return { ok: true, version: undefined };
  const match = header.trim().match(/^(?:W\/)?"?(\d{1,15})"?$/);
  if (!match) return { ok: false, detail: `If-Match must be a rollout version as returned in ETag, e.g. "7"; got ${header}` };
  return { ok: true, version: Number(match[1]) };
}

function stub(env: Env) {
  return env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));
}

function invalidBody(detail: string, issues: FieldIssue[]): Response {
  return problemResponse(422, "invalid-body", "Invalid request body", detail, { errors: issues });
}

function commandProblem(error: CommandError): Response {
  switch (error.kind) {
    case "invalid":
      return invalidBody(error.detail, error.issues);
    case "not-found":
      return problemResponse(404, "rollout-not-found", "Rollout not found", `No rollout has the id "${error.rolloutId}".`, { rollout: error.rolloutId });
    case "version-mismatch":
      return problemResponse(
        412,
        "version-mismatch",
        "Version mismatch",
        `If-Match named version ${error.expected} but the current version is ${error.current}: someone else changed it. Read it again and retry.`,
        { expected: error.expected, current: error.current },
        { etag: etag(error.current) },
      );
    case "conflict":
      return problemResponse(409, "overlapping-rollouts", "Overlapping rollouts", error.detail);
    case "invalid-state":
      return problemResponse(409, "invalid-state", "Not possible in the rollout's current state", error.detail);
  }
}

const tooLarge = () => problemResponse(413, "body-too-large", "Body too large", `Admin request bodies are limited to ${MAX_BODY_BYTES} bytes.`);

/** Reads a JSON body: absent is `undefined` when `optional`, malformed is a 400/413/415 problem. */
async function readJson(c: Context<AdminEnv>, optional: boolean): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  const type = c.req.header("content-type");
  const declared = Number(c.req.header("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) return { ok: false, response: tooLarge() };
  if (type && !/^application\/([\w.-]+\+)?json\b/i.test(type)) {
    return { ok: false, response: problemResponse(415, "unsupported-media-type", "Unsupported media type", `Send JSON (Content-Type: application/json), not ${type}.`) };
  }
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) return { ok: false, response: tooLarge() };
  if (text.trim() === "") {
    if (optional) return { ok: true, body: undefined };
    return { ok: false, response: problemResponse(400, "missing-body", "Missing body", "This endpoint needs a JSON body.") };
  }
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch (error) {
    return { ok: false, response: problemResponse(400, "malformed-json", "Malformed JSON", `The body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`) };
  }
}

export function createAdminApp(options: AdminOptions = {}) {
  const app = new Hono<AdminEnv>();
  const prefix = options.prefix ?? DEFAULT_ADMIN_PREFIX;
  const apiPrefix = `${prefix}/api`;

  app.get(`${prefix}`, (c) => c.redirect(`${prefix}/`, 301));
  app.get(`${prefix}/`, (c) => {
    const nonce = crypto.randomUUID().replaceAll("-", "");
    return c.body(renderDashboard(nonce, apiPrefix), 200, dashboardHeaders(nonce));
  });

  const api = new Hono<AdminEnv>();

  // The API description is public: it holds no state.
  api.get("/openapi.json", (c) => c.json(openApiDocument(apiPrefix)));

  api.use("*", async (c, next) => {
    const token = c.env.ADMIN_TOKEN;
    const presented = bearerToken(c.req.header("authorization") ?? null);
    if (!(await isAdminToken(presented, token))) {
      const detail = !token
        ? "The admin API is closed: no ADMIN_TOKEN is configured (wrangler secret put ADMIN_TOKEN, or .dev.vars locally)."
        : presented
          ? "The bearer token is not the admin token."
          : "Send Authorization: Bearer <ADMIN_TOKEN>.";
      return problemResponse(401, "unauthorized", "Unauthorized", detail, {}, { "www-authenticate": 'Bearer realm="edge-router admin"' });
    }
    const actor = c.req.header("x-actor");
    if (actor !== undefined && !ActorSchema.safeParse(actor).success) {
      return problemResponse(400, "invalid-actor", "Invalid X-Actor", "X-Actor names who makes the change in the audit log: 1-100 letters, digits, spaces and . @ + - _.");
    }
    c.set("actor", actor ?? "admin");
    await next();
    c.header("cache-control", "no-store");
  });

  /** Sends a write to the Durable Object and turns the reply into HTTP. */
  async function write(c: Context<AdminEnv>, command: Command): Promise<Response> {
    const reply = await stub(c.env).apply(command, c.get("actor"));
    if (!reply.ok) return commandProblem(reply.error);
    if (reply.changed) options.onWrite?.();
    const body = {
      version: reply.version,
      changed: reply.changed,
      ...(reply.rollout ? { rollout: rolloutView(reply.rollout) } : {}),
      globalKill: reply.globalKill,
      ...(reply.notices.length ? { notices: reply.notices } : {}),
    };
    const headers: Record<string, string> = {};
    if (reply.rollout) headers.etag = etag(reply.rollout.version);
    return c.json(body, reply.created ? 201 : 200, headers);
  }

  function ifMatch(c: Context<AdminEnv>): { ok: true; version: number | undefined } | { ok: false; response: Response } {
    const parsed = parseIfMatch(c.req.header("if-match"));
    if (!parsed.ok) return { ok: false, response: problemResponse(400, "invalid-if-match", "Invalid If-Match", parsed.detail) };
    return parsed;
  }

  function checkId(id: string): Response | undefined {
    const parsed = RolloutId.safeParse(id);
    if (parsed.success) return undefined;
    return invalidBody("The rollout id in the URL is invalid.", toFieldIssues(parsed.error).map((i) => ({ ...i, pointer: "/id" })));
  }

  api.get("/rollouts", async (c) => {
    const list = await stub(c.env).listRollouts();
    return c.json({
      version: list.version,
      globalKill: list.globalKill,
      rollouts: list.rollouts.map(rolloutView),
      ...(list.problems ? { problems: list.problems } : {}),
    });
  });

  api.get("/rollouts/:id", async (c) => {
    const id = c.req.param("id");
    const bad = checkId(id);
    if (bad) return bad;
    const stored = await stub(c.env).getRollout(id);
    if (!stored) return commandProblem({ kind: "not-found", rolloutId: id });
    const tag = etag(stored.version);
    if (c.req.header("if-none-match") === tag) return c.body(null, 304, { etag: tag });
    return c.json(rolloutView(stored), 200, { etag: tag });
  });

  /** The steps every write on one rollout shares: the id, If-Match, the JSON body, then the command. */
  async function writeRollout(c: Context<AdminEnv>, body: "required" | "optional" | "none", make: (id: string, body: unknown, ifMatch: number | undefined) => Command): Promise<Response> {
    const id = c.req.param("id")!;
    const bad = checkId(id);
    if (bad) return bad;
    const version = ifMatch(c);
    if (!version.ok) return version.response;
    let payload: unknown;
    if (body !== "none") {
      const read = await readJson(c, body === "optional");
      if (!read.ok) return read.response;
      payload = read.body;
    }
    return write(c, make(id, payload, version.version));
  }

  api.put("/rollouts/:id", (c) => writeRollout(c, "required", (id, body, ifMatch) => ({ type: "put", id, body, ifMatch })));
  api.patch("/rollouts/:id", (c) => writeRollout(c, "required", (id, patch, ifMatch) => ({ type: "patch", id, patch, ifMatch })));
  api.delete("/rollouts/:id", (c) => writeRollout(c, "none", (id, _body, ifMatch) => ({ type: "delete", id, ifMatch })));
  for (const action of ["kill", "resume", "pause", "continue", "promote"] as const) {
    api.post(`/rollouts/:id/${action}`, (c) => writeRollout(c, "optional", (id, body, ifMatch) => ({ type: action, id, body, ifMatch })));
  }

  api.get("/rollouts/:id/health", async (c) => {
    const id = c.req.param("id");
    const bad = checkId(id);
    if (bad) return bad;
    const query = HealthQuerySchema.safeParse(c.req.query());
    if (!query.success) return problemResponse(400, "invalid-query", "Invalid query", "The health query is invalid.", { errors: toFieldIssues(query.error) });
    const report = await stub(c.env).getHealth(id, query.data.window);
    if (!report) return commandProblem({ kind: "not-found", rolloutId: id });
    return c.json(report);
  });

  for (const action of ["kill", "resume"] as const) {
    api.post(`/${action}`, async (c) => {
      const version = ifMatch(c);
      if (!version.ok) return version.response;
      const body = await readJson(c, true);
      if (!body.ok) return body.response;
      return write(c, { type: action === "kill" ? "kill-all" : "resume-all", body: body.body, ifMatch: version.version });
    });
  }

  api.post("/rollouts/:id/override-token", async (c) => {
    const id = c.req.param("id");
    const bad = checkId(id);
    if (bad) return bad;
    const body = await readJson(c, true);
    if (!body.ok) return body.response;
    const parsed = OverrideBodySchema.safeParse(body.body ?? {});
    if (!parsed.success) return invalidBody("The override request is invalid.", toFieldIssues(parsed.error));
    if (!(await stub(c.env).getRollout(id))) return commandProblem({ kind: "not-found", rolloutId: id });
    const secret = c.env.OVERRIDE_SECRET || c.env.ADMIN_TOKEN!;
    const expiresAt = Math.floor(Date.now() / 1000) + parsed.data.ttlSeconds;
    const token = await signOverride(secret, id, parsed.data.variant, expiresAt);
    return c.json({
      rollout: id,
      variant: parsed.data.variant,
      token,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
      header: OVERRIDE_HEADER,
      cookie: `${OVERRIDE_COOKIE}=${token}; Path=/; Max-Age=${parsed.data.ttlSeconds}; HttpOnly; Secure; SameSite=Lax`,
    });
  });

  api.get("/rollouts/:id/analytics", async (c) => {
    const id = c.req.param("id");
    const bad = checkId(id);
    if (bad) return bad;
    const query = AnalyticsQuerySchema.safeParse(c.req.query());
    if (!query.success) return problemResponse(400, "invalid-query", "Invalid query", "The analytics query is invalid.", { errors: toFieldIssues(query.error) });
    if (!(await stub(c.env).getRollout(id))) return commandProblem({ kind: "not-found", rolloutId: id });
    const result = await runAnalytics(c.env, id, query.data.minutes, options.fetcher);
    if (!result.ok) {
      return result.status === 501
        ? problemResponse(501, "analytics-not-configured", "Analytics queries are not configured", result.detail, { missing: result.missing })
        : problemResponse(502, "analytics-upstream", "Analytics Engine SQL API failed", result.detail);
    }
    return c.json(result.body);
  });

  /** Counters of the isolate that answers (each isolate has its own): config refreshes vs requests proxied. */
  api.get("/stats", (c) => c.json({ isolate: options.isolateStats?.() ?? null }));

  api.get("/audit", async (c) => {
    const parsed = AuditQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      return problemResponse(400, "invalid-query", "Invalid query", "The audit query is invalid.", { errors: toFieldIssues(parsed.error).map((i) => ({ ...i, pointer: `?${i.pointer.slice(1)}` })) });
    }
    const entries = await stub(c.env).getAudit({ limit: parsed.data.limit, rolloutId: parsed.data.rollout, before: parsed.data.before });
    return c.json({ entries });
  });

  api.notFound((c) => problemResponse(404, "not-found", "Not found", `No admin endpoint ${c.req.method} ${c.req.path}.`));
  api.onError((error) => {
    console.error(JSON.stringify({ event: "admin-error", error: error instanceof Error ? error.stack ?? error.message : String(error) }));
    return problemResponse(500, "internal", "Internal error", "The admin API failed; see the worker's logs.");
  });

  app.route(apiPrefix, api);
  app.notFound((c) => problemResponse(404, "not-found", "Not found", `Nothing at ${c.req.path}; the admin API is under ${apiPrefix}.`));
  return app;
}
