/** How every admin write reaches the control plane and comes back as HTTP. */
import type { Command } from "../control/policy/commands";
import { checkId, commandProblem, etag, ifMatch, readJson, rolloutView, stateStub, type AdminContext } from "./http";

/** Called after a write changed something (this isolate then refreshes its snapshot at once). */
export type OnWrite = (() => void) | undefined;

/** Sends a write to the Durable Object and turns the reply into HTTP. */
export async function writeCommand(c: AdminContext, command: Command, onWrite: OnWrite): Promise<Response> {
  const reply = await stateStub(c.env).apply(command, c.get("principal").name, c.get("note"));
  if (!reply.ok) return commandProblem(reply.error);
  if (reply.changed) onWrite?.();
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

/** The steps every write on one rollout shares: the id, If-Match, the JSON body, then the command. */
export async function writeRollout(
  c: AdminContext,
  body: "required" | "optional" | "none",
  make: (id: string, body: unknown, ifMatch: number | undefined) => Command,
  onWrite: OnWrite,
): Promise<Response> {
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
  return writeCommand(c, make(id, payload, version.version), onWrite);
}
