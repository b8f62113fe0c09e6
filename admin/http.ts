/**
 * What every admin route shares: reading a JSON body safely, If-Match and ETags, the rollout id in
 * the URL, and turning the control plane's CommandError into problem+json in one exhaustive switch.
 */
import type { Context } from "hono";
import type { RolloutRecord, RolloutView } from "../contracts/admin-wire";
import { STATE_OBJECT_NAME } from "../contracts/env";
import { paramIssues, toFieldIssues, type FieldIssue } from "../contracts/field-issues";
import { formatPointer } from "../contracts/json-pointer";
import { problemResponse } from "../contracts/problem";
import { RolloutId } from "../contracts/rollout";
import type { Whoami } from "../contracts/tokens";
import type * as z from "../contracts/zod";
import type { CommandError } from "../control/policy/commands";

/** Largest admin request body accepted. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Deepest nesting of objects and arrays accepted in an admin body. A valid body nests 3 levels at
 * most (`/stickiness/0/header`); a much deeper one can only exhaust the stack of whatever walks it
 * (5,000 levels overflowed the RPC to the Durable Object: a 500).
 */
export const MAX_BODY_DEPTH = 64;

/**
 * Member names refused anywhere in a body: they name an object's prototype, so a merge or a
 * spread may act on them instead of storing them (a PATCH with `__proto__` was silently dropped).
 */
const FORBIDDEN_MEMBERS = new Set(["__proto__", "constructor", "prototype"]);

/** A problem names at most this many refused members (a 1 MiB body could hold tens of thousands). */
const MAX_REPORTED_MEMBERS = 20;

/**
 * What the admin app keeps per request: who the token is (./auth.ts) and what X-Actor added (the
 * audit entry's note).
 */
export type AdminEnv = { Bindings: Env; Variables: { principal: Whoami; note: string | undefined } };
export type AdminContext = Context<AdminEnv>;

/** The control plane's one Durable Object. */
export function stateStub(env: Env) {
  return env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName(STATE_OBJECT_NAME));
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
    approval: stored.approval && stored.approval.fromPercent === stored.config.percent ? stored.approval : null,
    stage: stored.stage,
    config: stored.config,
  };
}

export const etag = (version: number) => `"${version}"`;

/** A read answered with `version` as its ETag, or 304 (no body) when If-None-Match names that version. */
export function taggedJson(c: AdminContext, body: object, version: number): Response {
  const tag = etag(version);
  if (c.req.header("if-none-match") === tag) return c.body(null, 304, { etag: tag });
  return c.json(body, 200, { etag: tag });
}

/** `If-Match: "7"` (or `7`, `W/"7"`) → 7; `*` → undefined; absent → undefined; garbage → error. */
export function parseIfMatch(header: string | undefined): { ok: true; version: number | undefined } | { ok: false; detail: string } {
  if (header === undefined || header.trim() === "*") return { ok: true, version: undefined };
  const match = header.trim().match(/^(?:W\/)?"?(\d{1,15})"?$/);
  if (!match) return { ok: false, detail: `If-Match must be a rollout version as returned in ETag, e.g. "7"; got ${header}` };
  return { ok: true, version: Number(match[1]) };
}

/** The request's If-Match, or a 400 problem. */
export function ifMatch(c: AdminContext): { ok: true; version: number | undefined } | { ok: false; response: Response } {
  const parsed = parseIfMatch(c.req.header("if-match"));
  if (!parsed.ok) return { ok: false, response: problemResponse(400, "invalid-if-match", "Invalid If-Match", parsed.detail) };
  return parsed;
}

export function invalidBody(detail: string, issues: FieldIssue[]): Response {
  return problemResponse(422, "invalid-body", "Invalid request body", detail, { errors: issues });
}

/** A 422 when a URL parameter does not match `schema`: `what` names it, `pointer` is where the issues point. */
export function checkParam(schema: z.ZodMiniType, value: string, what: string, pointer: string): Response | undefined {
  const issues = paramIssues(schema, value, pointer);
  return issues.length ? invalidBody(`The ${what} in the URL is invalid.`, issues) : undefined;
}

/** A 422 when the rollout id in the URL is not a valid id. */
export function checkId(id: string): Response | undefined {
  return checkParam(RolloutId, id, "rollout id", "/id");
}

export function commandProblem(error: CommandError): Response {
  switch (error.kind) {
    case "invalid":
      return invalidBody(error.detail, error.issues);
    case "not-found":
      return problemResponse(404, "rollout-not-found", "Rollout not found", `No rollout has the id "${error.rolloutId}".`, { rollout: error.rolloutId });
    case "version-mismatch": {
      const detail = `If-Match named version ${error.expected} but the current version is ${error.current}: someone else changed it. Read it again and retry.`;
      return problemResponse(412, "version-mismatch", "Version mismatch", detail, { expected: error.expected, current: error.current }, { etag: etag(error.current) });
    }
    case "conflict":
      return problemResponse(409, "overlapping-rollouts", "Overlapping rollouts", error.detail);
    case "invalid-state":
      return problemResponse(409, "invalid-state", "Not possible in the rollout's current state", error.detail);
    case "signal-not-found": {
      const known = error.known.length ? `its signal checks read ${error.known.map((n) => `"${n}"`).join(", ")}` : "it has no signal checks";
      return problemResponse(404, "signal-not-found", "Signal not found", `Rollout "${error.rolloutId}" has no signal check named "${error.name}": ${known}.`, {
        rollout: error.rolloutId,
        signal: error.name,
        known: error.known,
      });
    }
    case "token-not-found":
      return problemResponse(404, "token-not-found", "Token not found", `No token has the id "${error.tokenId}" (it may have been revoked already).`, { token: error.tokenId });
    case "token-name-taken":
      return problemResponse(409, "token-name-taken", "Token name taken", `A token named "${error.name}" exists already: names are unique (revoke it first to reuse the name).`, {
        name: error.name,
      });
    case "segment-not-found":
      return problemResponse(404, "segment-not-found", "Segment not found", `No segment has the name "${error.segment}".`, { segment: error.segment });
    case "segment-in-use": {
      const users = error.rollouts.map((id) => `"${id}"`).join(", ");
      const detail = `The segment "${error.segment}" is used by the rules of ${users}: remove it from their rules first.`;
      return problemResponse(409, "segment-in-use", "Segment in use", detail, { segment: error.segment, rollouts: error.rollouts });
    }
  }
}

/** A 400 problem naming the bad parameters of the `what` query. */
export function invalidQuery(what: string, error: Parameters<typeof toFieldIssues>[0]): Response {
  return problemResponse(400, "invalid-query", "Invalid query", `The ${what} query is invalid.`, {
    errors: toFieldIssues(error).map((i) => ({ ...i, pointer: `?${i.pointer.slice(1)}` })),
  });
}

/**
 * The steps every read of one rollout with a query shares: the rollout id in the URL, then the
 * query checked against `schema` (`what` names it in the problem); or the problem with either.
 */
export function rolloutQuery<S extends z.ZodMiniType>(c: AdminContext, schema: S, what: string): { ok: true; id: string; query: z.infer<S> } | { ok: false; response: Response } {
  const id = c.req.param("id")!;
  const bad = checkId(id);
  if (bad) return { ok: false, response: bad };
  const query = schema.safeParse(c.req.query());
  if (!query.success) return { ok: false, response: invalidQuery(what, query.error) };
  return { ok: true, id, query: query.data as z.infer<S> };
}

const tooLarge = () => problemResponse(413, "body-too-large", "Body too large", `Admin request bodies are limited to ${MAX_BODY_BYTES} bytes.`);

/**
 * Reads a JSON body: absent is `undefined` when `optional`; malformed is a 400/413/415 problem;
 * nested deeper than MAX_BODY_DEPTH or using a member named `__proto__`, `constructor` or
 * `prototype` anywhere is a 422 problem (the latter naming each such member's JSON pointer).
 */
export async function readJson(c: AdminContext, optional: boolean): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
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
  // Before parsing, so that nothing ever walks a pathologically deep document.
  if (nestsDeeperThan(text, MAX_BODY_DEPTH)) {
    const detail = `The body nests objects and arrays more than ${MAX_BODY_DEPTH} levels deep; no valid body is nested that deeply.`;
    return { ok: false, response: invalidBody(detail, [{ pointer: "", message: `nested too deeply (more than ${MAX_BODY_DEPTH} levels)` }]) };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      response: problemResponse(400, "malformed-json", "Malformed JSON", `The body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`),
    };
  }
  const forbidden = forbiddenMembers(body, []);
  if (forbidden.length) {
    const issues = forbidden.map((path) => ({ pointer: formatPointer(path), message: `"${path.at(-1)}" is not allowed as a member name` }));
    return { ok: false, response: invalidBody("The body uses a member name that is refused anywhere: __proto__, constructor or prototype.", issues) };
  }
  return { ok: true, body };
}

/** Whether JSON `text` nests objects and arrays deeper than `limit` (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      // A backslash escapes the next character, which may be a quote: skip it.
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") {
      if (++depth > limit) return true;
    } else if (ch === "}" || ch === "]") depth--;
  }
  return false;
}

/** The paths of object members named in FORBIDDEN_MEMBERS, anywhere in `value` (its depth is already bounded), the first `limit` of them. */
function forbiddenMembers(value: unknown, path: string[], found: string[][] = [], limit = MAX_REPORTED_MEMBERS): string[][] {
  if (value === null || typeof value !== "object") return found;
  const isArray = Array.isArray(value);
  for (const key of Object.keys(value)) {
    if (found.length >= limit) break;
    if (!isArray && FORBIDDEN_MEMBERS.has(key)) found.push([...path, key]);
    // An own `__proto__` member (JSON.parse makes one) shadows the accessor, so this reads it.
    forbiddenMembers((value as Record<string, unknown>)[key], [...path, key], found, limit);
  }
  return found;
}
