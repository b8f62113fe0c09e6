/**
 * Schemas of the admin API's inputs that are not rollout config (which lives in
 * contracts/rollout.ts), shared by the handlers and the OpenAPI document.
 */
import * as z from "../contracts/zod";
import { RolloutConfigSchema, RolloutId } from "../contracts/rollout";
import { MAX_OVERRIDE_TTL_SECONDS } from "../edge/override";

export const AuditQuerySchema = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000)), 100),
  rollout: z.optional(RolloutId),
  before: z.optional(z.coerce.number().check(z.int(), z.gte(1))),
});

export const OverrideBodySchema = z.strictObject({
  variant: z.enum(["new", "legacy"]),
  ttlSeconds: z._default(z.number().check(z.int(), z.gte(60), z.lte(MAX_OVERRIDE_TTL_SECONDS)), 3600),
});

/** Who makes a change, for the audit log (`X-Actor`). */
export const ActorSchema = z.string().check(z.regex(/^[\w.@+-][\w .@+-]{0,99}$/));

/** A PATCH body: a JSON merge patch (RFC 7396) over the rollout config, validated after merging. */
export const RolloutPatchSchema = z.record(z.string(), z.unknown());

/** A PUT body: the rollout config; `id` may be left out (the URL names it) or must equal the URL's. */
export const RolloutBodySchema = z.extend(z.omit(RolloutConfigSchema, { id: true }), { id: z.optional(RolloutId) });

export const AnalyticsQuerySchema = z.strictObject({
  /** How far back, in minutes (default one hour, at most a week). */
  minutes: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(7 * 24 * 60)), 60),
});

export const HealthQuerySchema = z.strictObject({
  /** Seconds of history to summarise (rounded up to whole 10 s slots; at most the hour kept). */
  window: z._default(z.coerce.number().check(z.int(), z.gte(10), z.lte(3600)), 60),
});
