/**
 * Shadow traffic on the request path: a request served by legacy (decided by bucket, in the
 * rollout's shadow sample, a safe method without a body) is sent again to new, and both answers
 * are compared (./compare.ts). The user never waits for it and never sees it:
 *
 * - legacy's body is tee'd: one branch goes to the user untouched, the other is read for the
 *   comparison up to the cap and then cancelled (./capture.ts, `drain: false`), so a large body
 *   is never held back;
 * - the mirror leaves only after the user's response has been handed to the runtime, inside
 *   `waitUntil`, with a timeout of its own over headers and body; whatever new does (hang, 500,
 *   reset) ends in a count, never in the user's response;
 * - slots are limited per rollout and per isolate (./limits.ts); past them, no mirror.
 */
import type { ShadowRecord } from "../../contracts/metrics-sink";
import { SHADOW_SAFE_METHODS } from "../../contracts/shadow";
import type { ShadowOutcome } from "../../contracts/shadow-stats";
import { isWebSocketUpgrade, upstreamHeaders, upstreamUrl } from "../forward";
import type { CompiledShadow } from "../match";
import type { Route } from "../route";
import { captureBody } from "./capture";
import { compareResponses, type CapturedBody, type CapturedResponse } from "./compare";
import { mirrorHeaders } from "./headers";
import type { ShadowLimits } from "./limits";
import { isShadowed } from "./sample";

/** A finished mirror: what the isolate counts (health batcher) and what analytics gets. */
export interface MirrorResult {
  rolloutId: string;
  prefix: string;
  outcome: ShadowOutcome;
  record: ShadowRecord;
}

/** What mirroring needs from the isolate. */
export interface ShadowRuntime {
  limits: ShadowLimits;
  /** Called once per mirror, when it has been compared or has failed. */
  done(result: MirrorResult): void;
}

export interface MirrorDeps {
  shadow: ShadowRuntime;
  clock: () => number;
  waitUntil: (promise: Promise<unknown>) => void;
  fetcher?: typeof fetch;
}

/** What the user's request tells about the mirror to send. */
export interface MirrorRequest {
  request: Request;
  url: URL;
  route: Route;
  /** Legacy's answer as it came from the origin. */
  response: Response;
  /** Until legacy's response headers. */
  legacyLatencyMs: number;
  /** Remove `Authorization` (it carries the router's admin token), as for the real request. */
  stripAuthorization: boolean;
}

// Shadow methods are checked again here: a stored config from before the schema refused a method
// must not get a POST mirrored.
const SAFE = new Set<string>(SHADOW_SAFE_METHODS);

/**
 * Requests whose answer depends on what the client already holds: legacy answers 304 or 206
 * against its own validators and byte ranges, which new need not share (another backend, other
 * ETags), so comparing would count differences no user sees. They are not mirrored.
 */
export const UNCOMPARABLE_HEADERS = ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range"] as const;

const uncomparable = (headers: Headers) => UNCOMPARABLE_HEADERS.some((name) => headers.has(name));

/** The rollout's shadow settings when this request is to be mirrored, else undefined. */
export function shadowOf(m: MirrorRequest): CompiledShadow | undefined {
  const { request, route, response } = m;
  const shadow = route.rollout?.shadow;
  const d = route.decision;
  // Only users the percentage sent to legacy: not killed (a kill stops new's traffic, mirrors
  // included), not pinned by an allowlist or a QA override.
  if (!shadow || d.reason !== "bucket" || d.variant !== "legacy" || !d.identity) return undefined;
  // The sample first: it is plain arithmetic, and most requests stop here when few are mirrored;
  // the checks after it read the request and response from the runtime.
  if (!isShadowed(shadow.sample.state, shadow.sample.threshold, d.identity.userId)) return undefined;
  if (!shadow.methods.has(request.method) || !SAFE.has(request.method) || request.body !== null) return undefined;
  if (isWebSocketUpgrade(request.headers) || response.webSocket || response.status === 101 || uncomparable(request.headers)) return undefined;
  return shadow;
}

/**
 * Starts the mirror of `m` when it qualifies and a slot is free; returns the response to send the
 * user: legacy's own, or (with a body) the same status and headers over one branch of its body.
 */
export function startMirror(m: MirrorRequest, deps: MirrorDeps): Response {
  const shadow = shadowOf(m);
  if (!shadow) return m.response;
  const rolloutId = m.route.rollout!.id;
  if (!deps.shadow.limits.admitIdentity(rolloutId, m.route.decision.identity!.userId)) return m.response;
  const release = deps.shadow.limits.tryAcquire(rolloutId, shadow.maxConcurrent, shadow.capBytes);
  if (!release) return m.response;
  let served = m.response;
  let legacyBody: ReadableStream<Uint8Array> | null = null;
  if (m.response.body) {
    const [user, mine] = m.response.body.tee();
    served = new Response(user, m.response);
    legacyBody = mine;
  }
  // Nothing a mirror does may surface as an error of the request: a failure ends as a count.
  deps.waitUntil(
    runMirror(m, shadow, legacyBody, deps)
      .catch(() => {})
      .finally(release),
  );
  return served;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function declaredLength(headers: Headers): number | null {
  const value = headers.get("content-length");
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

function pick(headers: Headers, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

async function runMirror(m: MirrorRequest, shadow: CompiledShadow, legacyBody: ReadableStream<Uint8Array> | null, deps: MirrorDeps): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), shadow.timeoutMs);
  const at = new Date(deps.clock()).toISOString();
  let settled = false;
  try {
    // Read our branch at once, as the user reads theirs: a branch left unread would buffer the body.
    const legacy = captureBody(legacyBody, {
      capBytes: shadow.capBytes,
      declaredLength: declaredLength(m.response.headers),
      drain: false,
      signal: abort.signal,
    });
    legacy.catch(() => {});
    await nextTask(); // the user's response is with the runtime before the mirror leaves
    const answer = await askNew(m, shadow, abort.signal, deps);
    const outcome = await compare(m, shadow, legacy, answer, at).catch((): ShadowOutcome => ({ kind: "error" }));
    deps.shadow.done({ rolloutId: m.route.rollout!.id, prefix: m.route.pathPrefix, outcome, record: recordOf(m, outcome, answer) });
    // Any outcome but an error was reached by reading both bodies to their end (or cap).
    settled = outcome.kind !== "error";
  } finally {
    clearTimeout(timer);
    // Stop whatever may still read or wait (a body, new's request). Only then: an abort builds an
    // exception with its stack, the largest cost of a mirror when it ran on every one.
    if (!settled) abort.abort();
  }
}

type Answer = { ok: true; response: Response; latencyMs: number } | { ok: false };

/** Sends the mirror to new: same method, path and query; the router's header policy, then the mirror's. */
async function askNew(m: MirrorRequest, shadow: CompiledShadow, signal: AbortSignal, deps: MirrorDeps): Promise<Answer> {
  const { request, url, route } = m;
  const rollout = route.rollout!;
  const base = upstreamHeaders(request, url, {
    rolloutId: rollout.id,
    variant: "new",
    clientIp: request.headers.get("cf-connecting-ip"),
    stripAuthorization: m.stripAuthorization,
  });
  const started = deps.clock();
  try {
    const response = await (deps.fetcher ?? fetch)(upstreamUrl(url, rollout.origins.new), {
      method: request.method,
      headers: mirrorHeaders(base, shadow.forwardCredentials),
      redirect: "manual",
      signal,
    });
    return { ok: true, response, latencyMs: deps.clock() - started };
  } catch {
    return { ok: false };
  }
}

async function compare(m: MirrorRequest, shadow: CompiledShadow, legacy: Promise<CapturedBody>, answer: Answer, at: string): Promise<ShadowOutcome> {
  if (!answer.ok) return { kind: "error" };
  const next = answer.response;
  let bodies: [CapturedBody, CapturedBody];
  try {
    bodies = await Promise.all([legacy, captureBody(next.body, { capBytes: shadow.capBytes, declaredLength: declaredLength(next.headers), drain: true })]);
  } catch {
    // A body that broke off or ran past the timeout: nothing to compare.
    return { kind: "error" };
  }
  const names = shadow.compare.headers;
  const a: CapturedResponse = { status: m.response.status, headers: pick(m.response.headers, names), body: bodies[0] };
  const b: CapturedResponse = { status: next.status, headers: pick(next.headers, names), body: bodies[1] };
  return {
    ...compareResponses(a, b, shadow.compare),
    latencyMs: { legacy: m.legacyLatencyMs, new: answer.latencyMs },
    at,
    method: m.request.method,
    path: m.url.pathname,
    legacyStatus: m.response.status,
    newStatus: next.status,
  };
}

function recordOf(m: MirrorRequest, outcome: ShadowOutcome, answer: Answer): ShadowRecord {
  const cf = m.request.cf as { colo?: string; country?: string } | undefined;
  return {
    rolloutId: m.route.rollout!.id,
    pathPrefix: m.route.pathPrefix,
    method: m.request.method,
    outcome: outcome.kind,
    pointer: outcome.kind === "match" || outcome.kind === "error" ? null : outcome.pointer,
    legacyStatus: m.response.status,
    newStatus: answer.ok ? answer.response.status : 0,
    legacyLatencyMs: m.legacyLatencyMs,
    newLatencyMs: answer.ok ? answer.latencyMs : null,
    colo: cf?.colo ?? "",
    country: cf?.country ?? "",
  };
}
