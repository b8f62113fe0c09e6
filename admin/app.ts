/**
 * The operator API under /__admin/api and the dashboard under /__admin/: bearer-token auth
 * (./auth.ts: ADMIN_TOKEN or a named token from the isolate's snapshot), a scope on every route
 * (./scopes.ts), JSON in and out, RFC 9457 problems with field-level details (./http.ts),
 * optimistic concurrency with ETag/If-Match. Routes live in ./routes/; every write goes to the
 * one Durable Object, which validates it again.
 */
import { Hono } from "hono";
import { problemResponse } from "../contracts/problem";
import { DEFAULT_ADMIN_PREFIX } from "../contracts/vars";
import type { TokenTable } from "../edge/tokens";
import { authenticate } from "./auth";
import { dashboardHeaders, renderDashboard } from "./dashboard/page";
import type { AdminEnv } from "./http";
import { openApiDocument } from "./openapi";
import { notificationRoutes } from "./routes/notifications";
import { operationRoutes } from "./routes/operations";
import { rolloutRoutes } from "./routes/rollouts";
import { signalRoutes } from "./routes/signals";
import { segmentRoutes } from "./routes/segments";
import { tokenRoutes } from "./routes/tokens";

export interface AdminOptions {
  /** Called after every successful write, so this isolate's snapshot refreshes at once. */
  onWrite?: () => void;
  /** This isolate's counters, for `GET /stats`. */
  isolateStats?: () => Record<string, unknown>;
  /** Outbound fetch for the Analytics Engine SQL API (tests pass a fake). */
  fetcher?: typeof fetch;
  /** The reserved path prefix. @default "/__admin" */
  prefix?: string;
  /** @default Date.now */
  clock?: () => number;
  /**
   * The named tokens of this isolate's config snapshot at `now` (edge/isolate.ts reads its snapshot
   * cache; tests pass their own). Without it only ADMIN_TOKEN is accepted.
   */
  snapshotTokens?: (now: number) => Promise<TokenTable | undefined>;
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
  const clock = options.clock ?? Date.now;
  api.use("*", authenticate({ snapshotTokens: options.snapshotTokens, clock }));
  api.route("/", rolloutRoutes(options.onWrite));
  api.route("/", signalRoutes());
  api.route("/", notificationRoutes());
  api.route("/", operationRoutes({ onWrite: options.onWrite, isolateStats: options.isolateStats, fetcher: options.fetcher, clock }));
  api.route("/", tokenRoutes(options.onWrite));
  api.route("/", segmentRoutes(options.onWrite));
  api.notFound((c) => problemResponse(404, "not-found", "Not found", `No admin endpoint ${c.req.method} ${c.req.path}.`));
  api.onError((error) => {
    console.error(JSON.stringify({ event: "admin-error", error: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
    return problemResponse(500, "internal", "Internal error", "The admin API failed; see the worker's logs.");
  });

  app.route(apiPrefix, api);
  app.notFound((c) => problemResponse(404, "not-found", "Not found", `Nothing at ${c.req.path}; the admin API is under ${apiPrefix}.`));
  return app;
}
