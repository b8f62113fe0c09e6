/**
 * `/notifications`: the webhook settings (secrets write-only) and the recent deliveries. The
 * Durable Object sends the webhooks from its alarm; nothing here waits for a receiver.
 */
import { Hono } from "hono";
import { DeliveriesQuerySchema } from "../../contracts/admin-wire";
import { commandProblem, invalidQuery, readJson, stateStub, type AdminEnv } from "../http";
import { requires } from "../scopes";

export function notificationRoutes(): Hono<AdminEnv> {
  const api = new Hono<AdminEnv>();

  api.get("/notifications", requires("read"), async (c) => c.json(await stateStub(c.env).getNotifications()));

  api.put("/notifications", requires("admin"), async (c) => {
    const body = await readJson(c, false);
    if (!body.ok) return body.response;
    const reply = await stateStub(c.env).putNotifications(body.body, c.get("principal").name, c.get("note"));
    if (!reply.ok) return commandProblem(reply.error);
    return c.json({ changed: reply.changed, ...reply.settings });
  });

  api.get("/notifications/deliveries", requires("read"), async (c) => {
    const query = DeliveriesQuerySchema.safeParse(c.req.query());
    if (!query.success) return invalidQuery("deliveries", query.error);
    return c.json({ deliveries: await stateStub(c.env).listDeliveries(query.data.limit) });
  });

  return api;
}
