/**
 * Reading an OFREP evaluation request: `{ "context": { "targetingKey": "...", ...attributes } }`.
 * The body is read with a byte limit and parsed whatever its Content-Type (a 415 would reach the
 * providers as GENERAL; and a cross-site page cannot add the `Authorization` header every
 * evaluation needs without a CORS preflight, so accepting `text/plain` opens nothing).
 * Members other than `context` are ignored, so that a newer provider's additions do not break it.
 */
import { nestsDeeperThan } from "../../admin/http";
import type { OfrepError } from "./wire";

/**
 * Largest request body read. An evaluation context is a user id and a handful of attributes; the
 * Node provider sends one per flag evaluated, so this is generous while bounding the work.
 */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** Deepest nesting of objects and arrays accepted (an attribute may be a structure, not a maze). */
export const MAX_CONTEXT_DEPTH = 32;

/**
 * Longest `targetingKey` accepted. The proxy reads user ids from headers and cookies of a few KiB;
 * ids longer than this are not user ids anyone rolls out to (allowlists hold at most 256 characters).
 */
export const MAX_TARGETING_KEY_LENGTH = 1024;

/** The evaluation context of one request: the user id and everything else the caller stated. */
export interface EvaluationContext {
  targetingKey: string;
  /** The context without `targetingKey`, as sent (the input of targeting rules to come). */
  attributes: Record<string, unknown>;
}

export type ParsedRequest = { ok: true; context: EvaluationContext } | { ok: false; error: OfrepError };

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** The body as text, or undefined when it is longer than `maxBytes` (read no further than that). */
export async function readBoundedText(request: Request, maxBytes = MAX_REQUEST_BYTES): Promise<string | undefined> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) return undefined;
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** Parses the text of an evaluation request into its context, or the OFREP error to answer. Pure. */
export function parseEvaluationRequest(text: string | undefined): ParsedRequest {
  if (text === undefined) return fail("PARSE_ERROR", `The request body is larger than ${MAX_REQUEST_BYTES} bytes; an evaluation context never needs that much.`);
  if (nestsDeeperThan(text, MAX_CONTEXT_DEPTH)) return fail("PARSE_ERROR", `The request body nests objects and arrays more than ${MAX_CONTEXT_DEPTH} levels deep.`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return fail("PARSE_ERROR", `The request body is not valid JSON (${error instanceof Error ? error.message : String(error)}); send {"context": {"targetingKey": "<user id>"}}.`);
  }
  if (!isObject(body)) return fail("PARSE_ERROR", 'The request body must be a JSON object: {"context": {"targetingKey": "<user id>"}}.');
  const { context } = body;
  if (context === undefined) return fail("TARGETING_KEY_MISSING", 'The request has no context: send {"context": {"targetingKey": "<user id>"}}.');
  if (!isObject(context)) return fail("INVALID_CONTEXT", "context must be a JSON object holding targetingKey and the user's attributes.");
  const { targetingKey, ...attributes } = context;
  if (targetingKey === undefined || targetingKey === null || targetingKey === "")
    return fail("TARGETING_KEY_MISSING", "context.targetingKey is missing: set it to the user id the router buckets (the same id the proxy reads).");
  if (typeof targetingKey !== "string") return fail("INVALID_CONTEXT", `context.targetingKey must be a string (the user id), got ${typeof targetingKey}.`);
  if (targetingKey.length > MAX_TARGETING_KEY_LENGTH)
    return fail("INVALID_CONTEXT", `context.targetingKey is ${targetingKey.length} characters long; at most ${MAX_TARGETING_KEY_LENGTH} are accepted.`);
  return { ok: true, context: { targetingKey, attributes } };
}

function fail(code: OfrepError["code"], detail: string): ParsedRequest {
  return { ok: false, error: { code, detail } };
}
