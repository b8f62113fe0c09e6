/**
 * The admin API's write endpoints, as the fuzz sees them, and the shape of a bad input: each kind
 * of bad input is a fast-check arbitrary of requests, built for one endpoint and one target
 * rollout, that the API must refuse with a 4xx problem without changing anything.
 */
import type fc from "fast-check";
import { ADMIN_TOKEN } from "../helpers";

/** The rollout the per-rollout endpoints are fuzzed against, and the versions its state is at. */
export interface Target {
  id: string;
  /** The rollout's own version (its ETag). */
  rolloutVersion: number;
  /** The config version (what `POST /kill` and `POST /resume` compare If-Match with). */
  configVersion: number;
  origins: { legacy: string; new: string };
  /** A path prefix no other rollout uses. */
  pathPrefix: string;
  /** A segment the target's rules use (so it cannot be deleted), and its version. */
  segment: string;
  segmentVersion: number;
}

export interface Endpoint {
  name: string;
  method: "PUT" | "PATCH" | "DELETE" | "POST";
  /** The API path for rollout `id` (the global endpoints ignore it). */
  path: (id: string) => string;
  /** Whether the endpoint reads a body at all (DELETE does not). */
  readsBody: boolean;
  /** Whether an absent, empty or `null` body is refused (it is a request for the defaults elsewhere). */
  refusesEmptyBody: boolean;
  /** Which version If-Match is compared with, if any. */
  ifMatch: "rollout" | "config" | "segment" | "none";
  perRollout: boolean;
  /** A body this endpoint would accept: kinds whose bad part is elsewhere send it. */
  valid: (t: Target) => Record<string, unknown>;
}

/**
 * A stage plan with holds long enough that the scheduler never moves the target during the fuzz.
 * 25% requires approval, so that a valid approval of the target (at 10%) would change it.
 */
export const FUZZ_STAGES = [10, 25, 50, 100].map((percent) => ({ percent, holdSeconds: 30 * 24 * 3600, ...(percent === 25 ? { requiresApproval: true } : {}) }));

/** The signal the target's guard reads (a `"provider": "signal"` check), so that a valid push would be stored. */
export const FUZZ_SIGNAL = "fuzz_signal";
export const FUZZ_GUARD = { external: [{ name: FUZZ_SIGNAL, provider: "signal", max: 1 }] };

/** The target's rules: they use the fuzz segment, which therefore cannot be deleted. */
export const FUZZ_RULES = [{ name: "fuzz-beta", when: [{ segment: "fuzz-beta" }, { header: "x-fuzz", equals: "1" }], variant: "new" }];

/** The fuzz segment as stored; a valid PUT of it changes it (another description). */
export const FUZZ_SEGMENT = { description: "fuzz", when: [{ claim: "beta_tester", equals: true }] };

/** A webhook the settings endpoint would accept. */
export const FUZZ_WEBHOOK = { id: "fuzz", url: "https://hooks.example.com/fuzz", events: ["kill"], secret: "fuzz-secret-0123456789" };

const reason = () => ({ reason: "fuzz" });

const rolloutAction = (action: string, valid: Endpoint["valid"] = reason): Endpoint => ({
  name: `POST /rollouts/:id/${action}`,
  method: "POST",
  path: (id) => `/rollouts/${id}/${action}`,
  readsBody: true,
  refusesEmptyBody: action === "override-token",
  ifMatch: action === "override-token" ? "none" : "rollout",
  perRollout: true,
  valid,
});

const globalAction = (action: string): Endpoint => ({
  name: `POST /${action}`,
  method: "POST",
  path: () => `/${action}`,
  readsBody: true,
  refusesEmptyBody: false,
  ifMatch: "config",
  perRollout: false,
  valid: reason,
});

/** Every admin write endpoint. */
export const ENDPOINTS: Endpoint[] = [
  {
    name: "PUT /rollouts/:id",
    method: "PUT",
    path: (id) => `/rollouts/${id}`,
    readsBody: true,
    refusesEmptyBody: true,
    ifMatch: "rollout",
    perRollout: true,
    valid: (t) => ({ origins: t.origins, match: { pathPrefixes: [t.pathPrefix] }, percent: 20, stages: FUZZ_STAGES, rules: FUZZ_RULES }),
  },
  {
    name: "PATCH /rollouts/:id",
    method: "PATCH",
    path: (id) => `/rollouts/${id}`,
    readsBody: true,
    refusesEmptyBody: true,
    ifMatch: "rollout",
    perRollout: true,
    valid: () => ({ percent: 20 }),
  },
  {
    name: "DELETE /rollouts/:id",
    method: "DELETE",
    path: (id) => `/rollouts/${id}`,
    readsBody: false,
    refusesEmptyBody: false,
    ifMatch: "rollout",
    perRollout: true,
    valid: () => ({}),
  },
  ...["kill", "resume", "pause", "continue", "promote", "approve"].map((action) => rolloutAction(action)),
  rolloutAction("override-token", () => ({ variant: "new", ttlSeconds: 600 })),
  globalAction("kill"),
  globalAction("resume"),
  {
    name: "POST /rollouts/:id/signals/:name",
    method: "POST",
    path: (id) => `/rollouts/${id}/signals/${FUZZ_SIGNAL}`,
    readsBody: true,
    refusesEmptyBody: true,
    ifMatch: "none",
    perRollout: true,
    valid: () => ({ value: 0.5, note: "fuzz" }),
  },
  {
    name: "PUT /notifications",
    method: "PUT",
    path: () => "/notifications",
    readsBody: true,
    refusesEmptyBody: true,
    ifMatch: "none",
    perRollout: false,
    valid: () => ({ webhooks: [FUZZ_WEBHOOK] }),
  },
  {
    name: "PUT /segments/:name",
    method: "PUT",
    path: () => "/segments/fuzz-beta",
    readsBody: true,
    refusesEmptyBody: true,
    ifMatch: "segment",
    perRollout: false,
    valid: () => ({ ...FUZZ_SEGMENT, description: "fuzz, changed" }),
  },
  {
    // The target's rules use the segment: even a valid delete is refused (409).
    name: "DELETE /segments/:name",
    method: "DELETE",
    path: () => "/segments/fuzz-beta",
    readsBody: false,
    refusesEmptyBody: false,
    ifMatch: "segment",
    perRollout: false,
    valid: () => ({}),
  },
];

/** One request as the fuzz sends it. */
export interface BadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface BadInputKind {
  name: string;
  appliesTo: (e: Endpoint) => boolean;
  request: (e: Endpoint, t: Target) => fc.Arbitrary<BadRequest>;
}

/** A request to `e` as an operator would send it (token, JSON), with `over` changed. */
export function request(e: Endpoint, t: Target, over: { path?: string; headers?: Record<string, string | undefined>; body?: string | Uint8Array } = {}): BadRequest {
  const headers: Record<string, string | undefined> = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...over.headers };
  return {
    method: e.method,
    path: over.path ?? e.path(t.id),
    headers: Object.fromEntries(Object.entries(headers).filter((h): h is [string, string] => h[1] !== undefined)),
    ...(over.body !== undefined ? { body: over.body } : {}),
  };
}

/** The endpoint's valid body, as JSON text. */
export const validText = (e: Endpoint, t: Target) => JSON.stringify(e.valid(t));

/**
 * `valid` as JSON text with member `field` set to the JSON text `value` (raw, so that it can be
 * what JSON.stringify cannot write), replacing a member of that name: with a duplicate, JSON.parse
 * would keep the last one and the bad value would never be seen.
 */
export function withMember(valid: Record<string, unknown>, field: string, value: string): string {
  const { [field]: _, ...rest } = valid;
  const others = JSON.stringify(rest);
  return others === "{}" ? `{${JSON.stringify(field)}:${value}}` : `{${JSON.stringify(field)}:${value},${others.slice(1)}`;
}

export const readsBody = (e: Endpoint) => e.readsBody;
export const refusesEmptyBody = (e: Endpoint) => e.refusesEmptyBody;
export const all = () => true;
