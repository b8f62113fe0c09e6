/**
 * `/rollouts`: list, read, create/replace, patch, delete, the per-rollout actions (approve included),
 * health and shadow results. Each route says what its token needs (../scopes.ts).
 */
import { Hono } from "hono";
import { HealthQuerySchema, ShadowQuerySchema } from "../../contracts/admin-wire";
import { checkId, commandProblem, rolloutQuery, rolloutView, stateStub, taggedJson, type AdminEnv } from "../http";
import { requires } from "../scopes";
import { writeRollout, type OnWrite } from "../write";

export function rolloutRoutes(onWrite: OnWrite): Hono<AdminEnv> {
  const api = new Hono<AdminEnv>();

  api.get("/rollouts", requires("read"), async (c) => {
    const list = await stateStub(c.env).listRollouts();
    return c.json({ version: list.version, globalKill: list.globalKill, rollouts: list.rollouts.map(rolloutView), ...(list.problems ? { problems: list.problems } : {}) });
  });

  api.get("/rollouts/:id", requires("read"), async (c) => {
    const id = c.req.param("id");
    const bad = checkId(id);
    if (bad) return bad;
    const stored = await stateStub(c.env).getRollout(id);
    if (!stored) return commandProblem({ kind: "not-found", rolloutId: id });
    return taggedJson(c, rolloutView(stored), stored.version);
  });

  api.put("/rollouts/:id", requires("admin"), (c) => writeRollout(c, "required", (id, body, ifMatch) => ({ type: "put", id, body, ifMatch }), onWrite));
  api.patch("/rollouts/:id", requires("percent-only-or-admin"), (c) => writeRollout(c, "required", (id, patch, ifMatch) => ({ type: "patch", id, patch, ifMatch }), onWrite));
  api.delete("/rollouts/:id", requires("admin"), (c) => writeRollout(c, "none", (id, _body, ifMatch) => ({ type: "delete", id, ifMatch }), onWrite));
  for (const action of ["kill", "resume", "pause", "continue", "promote", "approve"] as const) {
    api.post(`/rollouts/:id/${action}`, requires("operate"), (c) => writeRollout(c, "optional", (id, body, ifMatch) => ({ type: action, id, body, ifMatch }), onWrite));
  }

  api.get("/rollouts/:id/health", requires("read"), async (c) => {
    const read = rolloutQuery(c, HealthQuerySchema, "health");
    if (!read.ok) return read.response;
    const report = await stateStub(c.env).getHealth(read.id, read.query.window);
    return report ? c.json(report) : commandProblem({ kind: "not-found", rolloutId: read.id });
  });

  api.get("/rollouts/:id/shadow", requires("read"), async (c) => {
    const read = rolloutQuery(c, ShadowQuerySchema, "shadow");
    if (!read.ok) return read.response;
    const report = await stateStub(c.env).getShadow(read.id, read.query.window);
    return report ? c.json(report) : commandProblem({ kind: "not-found", rolloutId: read.id });
  });

  return api;
}
