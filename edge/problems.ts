/**
 * The proxy's own answers, when it cannot pass on an origin's: every one is a tagged error turned
 * into RFC 9457 problem+json in one exhaustive switch (as the admin API does with CommandError).
 */
import type { Variant } from "../contracts/decision";
import { problemResponse } from "../contracts/problem";

export type ProxyError =
  /** The request already passed through this router (an origin points back at it). */
  | { kind: "loop" }
  /** Vars are missing or invalid and nothing else says where to send the request. */
  | { kind: "misconfigured"; problems: string[] }
  /** The chosen origin (and the legacy retry, if any) could not be reached. */
  | { kind: "origin-unreachable"; rollout: string | null; variant: Variant }
  /** The chosen origin sent no response headers within the rollout's `timeoutMs`. */
  | { kind: "origin-timeout"; rollout: string | null; variant: Variant; timeoutMs: number };

export function proxyProblem(error: ProxyError): Response {
  switch (error.kind) {
    case "loop":
      return problemResponse(
        508,
        "loop-detected",
        "Loop detected",
        "This request already passed through edge-router (CDN-Loop: edge-router): an origin points back at the router.",
      );
    case "misconfigured":
      return problemResponse(503, "router-misconfigured", "The router is not configured", error.problems.join(" "), { problems: error.problems });
    case "origin-unreachable":
      return problemResponse(502, "origin-unreachable", "Origin unreachable", `The ${error.variant} origin could not be reached.`, {
        rollout: error.rollout,
        variant: error.variant,
      });
    case "origin-timeout":
      return problemResponse(504, "origin-timeout", "Origin timed out", `The ${error.variant} origin did not answer within ${error.timeoutMs} ms.`, {
        rollout: error.rollout,
        variant: error.variant,
      });
  }
}
