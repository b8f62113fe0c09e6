/**
 * `/segments`: named sets of conditions that targeting rules use (`{ "segment": NAME }`). Reading
 * needs `read`; writing needs `admin` (a segment changes how every rollout that uses it routes).
 * The Durable Object validates, refuses an unknown rule reference and a delete of a segment in use.
 */
import { Hono } from "hono";
import type { SegmentWriteResult } from "../../contracts/admin-wire";
import { SegmentName } from "../../contracts/rules";
import { checkParam, commandProblem, etag, ifMatch, readJson, stateStub, taggedJson, type AdminContext, type AdminEnv } from "../http";
import { requires } from "../scopes";
import type { OnWrite } from "../write";

/** A 422 when the segment name in the URL is not a slug. */
function checkName(name: string): Response | undefined {
  return checkParam(SegmentName, name, "segment name", "/name");
}

/** The steps every segment write shares: the name in the URL and If-Match, or the problem with either. */
function writeTarget(c: AdminContext): { ok: true; name: string; ifMatch: number | undefined } | { ok: false; response: Response } {
  const name = c.req.param("name")!;
  const bad = checkName(name);
  if (bad) return { ok: false, response: bad };
  const version = ifMatch(c);
  if (!version.ok) return version;
  return { ok: true, name, ifMatch: version.version };
}

async function put(c: AdminContext, onWrite: OnWrite): Promise<Response> {
  const target = writeTarget(c);
  if (!target.ok) return target.response;
  const body = await readJson(c, false);
  if (!body.ok) return body.response;
  const { name, ifMatch } = target;
  const reply = await stateStub(c.env).apply({ type: "segment-put", name, body: body.body, ifMatch }, c.get("principal").name, c.get("note"));
  if (!reply.ok) return commandProblem(reply.error);
  if (reply.changed) onWrite?.();
  const segment = reply.segment!;
  const result: SegmentWriteResult = { version: reply.version, changed: reply.changed, segment };
  return c.json(result, reply.created ? 201 : 200, { etag: etag(segment.version) });
}

async function remove(c: AdminContext, onWrite: OnWrite): Promise<Response> {
  const target = writeTarget(c);
  if (!target.ok) return target.response;
  const { name, ifMatch } = target;
  const reply = await stateStub(c.env).apply({ type: "segment-delete", name, ifMatch }, c.get("principal").name, c.get("note"));
  if (!reply.ok) return commandProblem(reply.error);
  onWrite?.();
  return c.json({ version: reply.version, deleted: name });
}

export function segmentRoutes(onWrite: OnWrite): Hono<AdminEnv> {
  const api = new Hono<AdminEnv>();

  api.get("/segments", requires("read"), async (c) => c.json(await stateStub(c.env).listSegments()));

  api.get("/segments/:name", requires("read"), async (c) => {
    const name = c.req.param("name");
    const bad = checkName(name);
    if (bad) return bad;
    const segment = await stateStub(c.env).getSegment(name);
    if (!segment) return commandProblem({ kind: "segment-not-found", segment: name });
    return taggedJson(c, segment, segment.version);
  });

  api.put("/segments/:name", requires("admin"), (c) => put(c, onWrite));
  api.delete("/segments/:name", requires("admin"), (c) => remove(c, onWrite));

  return api;
}
