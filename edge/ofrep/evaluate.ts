/**
 * OFREP evaluation: a flag is a rollout (key = rollout id), its value is `true` for the new variant.
 * The decision is the proxy's own (`decide` on the same compiled table), so a caller outside the
 * proxy gets what the edge would route the same user to, kill switch included. Pure: no I/O, no
 * clock.
 *
 * What differs from a proxied request: the user id is the context's `targetingKey` rather than a
 * header, cookie or JWT (it must be the same string the rollout's stickiness yields), no QA
 * override applies (an override token belongs to one browser, not to a user), and targeting rules
 * read the context's other attributes where the proxy reads the request (../request-facts.ts
 * `contextFacts`): a header, cookie or query condition the attribute of its name, `country` and
 * `colo` those attributes, and a claim condition the attributes only when the caller vouches for
 * the user (as the proxy reads claims only from a verified token).
 */
import { type Decision, type Identity, isRuleReason, type Reason } from "../../contracts/decision";
import { decide } from "../decide";
import type { CompiledRollout, RouterTable } from "../match";
import { contextFacts } from "../request-facts";
import type { RequestFacts } from "../rules";
import type { EvaluationContext } from "./request";
import type { BulkEvaluationSuccess, EvaluationFailure, EvaluationSuccess, FlagResult, FlatMetadata, OfrepReason } from "./wire";

/** Who asked, as the authorization hook vouches for it. */
export interface Caller {
  /** The caller's name (a token's name), echoed as the identity's source `ofrep:<name>`. */
  name: string;
  /**
   * The caller is trusted to say who the user is, so its `targetingKey` is a *verified* identity and
   * allowlists apply to it. Otherwise the id is claimed, as a header is: it only buckets.
   */
  vouchesForIdentity: boolean;
}

/** The OpenFeature reason of a router decision: the one place this mapping lives. */
export function ofrepReason(reason: Reason): OfrepReason {
  if (isRuleReason(reason)) return "TARGETING_MATCH";
  switch (reason) {
    case "killed":
      return "DISABLED";
    case "override":
    case "allowlist":
      return "TARGETING_MATCH";
    case "bucket":
      return "SPLIT";
    case "no-rollout":
    case "no-config":
      return "UNKNOWN";
  }
}

/**
 * The identity an evaluation decides for. A caller that vouches for the user vouches for its
 * attributes too: they are the claims rules on claims read. Otherwise there are no claims.
 */
export function ofrepIdentity(context: EvaluationContext, caller: Caller): Identity {
  const identity: Identity = { userId: context.targetingKey, source: `ofrep:${caller.name}`, verified: caller.vouchesForIdentity, attributes: context.attributes };
  if (caller.vouchesForIdentity) identity.claims = context.attributes;
  return identity;
}

/**
 * Flat metadata: the config version the decision was made on and the router's own reason, with
 * its detail (`global` or `rollout` for a kill) and the bucket and threshold when it bucketed, as
 * the proxy's `x-rollout-decision` header shows them.
 */
function metadataOf(decision: Decision, configVersion: number): FlatMetadata {
  const metadata: FlatMetadata = { configVersion, routerReason: decision.reason };
  if (decision.detail) metadata.routerDetail = decision.detail;
  if (decision.bucket !== null) metadata.bucket = decision.bucket;
  if (decision.threshold !== null) metadata.threshold = decision.threshold;
  return metadata;
}

function success(table: RouterTable, rollout: CompiledRollout, identity: Identity, facts: RequestFacts): EvaluationSuccess {
  const decision = decide(table, rollout, identity, undefined, facts);
  return { key: rollout.id, value: decision.variant === "new", reason: ofrepReason(decision.reason), variant: decision.variant, metadata: metadataOf(decision, table.version) };
}

/** One flag, for the single-flag endpoint: its evaluation, or FLAG_NOT_FOUND when no rollout has that id. */
export function evaluateFlag(table: RouterTable, key: string, context: EvaluationContext, caller: Caller): FlagResult {
  const rollout = table.rollouts.get(key);
  if (!rollout) return notFound(key);
  return success(table, rollout, ofrepIdentity(context, caller), contextFacts(context.attributes));
}

/** Every rollout, sorted by id so that equal results serialise (and hash) equally. */
export function evaluateAll(table: RouterTable, context: EvaluationContext, caller: Caller): BulkEvaluationSuccess {
  const identity = ofrepIdentity(context, caller);
  const facts = contextFacts(context.attributes);
  const ids = [...table.rollouts.keys()].sort();
  return { flags: ids.map((id) => success(table, table.rollouts.get(id)!, identity, facts)), metadata: { configVersion: table.version } };
}

export function notFound(key: string): EvaluationFailure {
  return { key, errorCode: "FLAG_NOT_FOUND", errorDetails: `No rollout has the id ${JSON.stringify(key)}; a flag key is a rollout id.` };
}
