/**
 * `/rollouts/:id/signals`: values pushed to the router by a deploy script, a CI job or a person,
 * read by the rollout's `"provider": "signal"` checks at every alarm. Each route says what its
 * token needs (../scopes.ts).
 */
import { Hono } from "hono";
import { SignalName, SignalPushSchema } from "../../contracts/external";
import { toFieldIssues } from "../../contracts/field-issues";
import { checkId, checkParam, commandProblem, invalidBody, readJson, stateStub, type AdminContext, type AdminEnv } from "../http";
import { requires } from "../scopes";

/** A 422 when the signal name in the URL is not a valid name. */
function checkName(name: string): Response | undefined {
  return checkParam(SignalName, name, "signal name", "/name");
}

/** The rollout id and signal name in the URL, or the problem with them. */
function target(c: AdminContext): { id: string; name: string | undefined } | Response {
  const id = c.req.param("id")!;
  const name = c.req.param("name");
  return checkId(id) ?? (name === undefined ? undefined : checkName(name)) ?? { id, name };
}

export function signalRoutes(): Hono<AdminEnv> {
  const api = new Hono<AdminEnv>();

  api.post("/rollouts/:id/signals/:name", requires("operate"), async (c) => {
    const at = target(c);
    if (at instanceof Response) return at;
    const body = await readJson(c, false);
    if (!body.ok) return body.response;
    const parsed = SignalPushSchema.safeParse(body.body);
    if (!parsed.success) return invalidBody("The signal value is invalid.", toFieldIssues(parsed.error));
    const reply = await stateStub(c.env).pushSignal(at.id, at.name!, parsed.data, c.get("principal").name);
    if (!reply.ok) return commandProblem(reply.error);
    return c.json({ rollout: at.id, name: at.name, value: reply.value }, 201);
  });

  api.get("/rollouts/:id/signals/:name", requires("read"), async (c) => {
    const at = target(c);
    if (at instanceof Response) return at;
    const reply = await stateStub(c.env).getSignals(at.id, at.name);
    if (!reply.ok) return commandProblem(reply.error);
    return c.json(reply.signals[0]!);
  });

  api.get("/rollouts/:id/signals", requires("read"), async (c) => {
    const at = target(c);
    if (at instanceof Response) return at;
    const reply = await stateStub(c.env).getSignals(at.id);
    if (!reply.ok) return commandProblem(reply.error);
    return c.json({ rollout: at.id, signals: reply.signals });
  });

  return api;
}
