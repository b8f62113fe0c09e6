/**
 * Rollout configuration: the zod schemas are the single source of truth; every TypeScript
 * type for config and admin payloads is inferred from them. No I/O.
 */
import { ProbesSchema } from "./external";
import { GuardSchema } from "./guard";
import { CookieName, HeaderName } from "./http-names";
import { JwtSource } from "./identity";
import { HASH_SPEC_VERSION } from "./hash";
import { originUrlProblem } from "./urls";
import { crossFieldProblems } from "./rollout-cross-field";
import { RulesSchema, type SnapshotSegment } from "./rules";
import { Percent } from "./percent";
import type { SnapshotToken } from "./tokens";
import { ScheduleSchema } from "./schedule";
import { ShadowSchema } from "./shadow";
import { StagesSchema } from "./stages";
import * as z from "./zod";

export { originUrlProblem, Percent };

const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** A rollout id: lowercase letters, digits and dashes, 1-64 characters, starting with a letter or digit. */
export const RolloutId = z.string().check(z.regex(SLUG, "must be a slug: lowercase letters, digits and '-', 1-64 characters, not starting with '-'"));

/** An absolute http(s) origin URL, e.g. `https://legacy.example.com` (a path prefix is allowed). */
export const OriginUrl = z.string().check(
  z.superRefine((value, ctx) => {
    const problem = originUrlProblem(value);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: value });
  }),
);

const Hostname = z
  .string()
  .check(
    z.maxLength(253),
    z.regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "must be a lowercase hostname without port, optionally starting with '*.'"),
  );

const PathPrefix = z.string().check(z.maxLength(1024), z.regex(/^\/[^\s?#]*$/, "must start with '/' and contain no spaces, '?' or '#'"));

/** A user id as it appears in a header or cookie. */
export const UserId = z.string().check(z.minLength(1), z.maxLength(256));

/** One place the router looks for the user id. */
export const StickinessSource = z.union([z.strictObject({ header: HeaderName }), z.strictObject({ cookie: CookieName }), JwtSource]);

/** How a stickiness source names itself in logs, the debug header and the CLI: `header:x-user-id`, `cookie:uid`, `jwt:header:authorization`. */
export function sourceLabel(source: StickinessSource): `header:${string}` | `cookie:${string}` | `jwt:${string}` {
  if ("header" in source) return `header:${source.header}`;
  if ("cookie" in source) return `cookie:${source.cookie}`;
  return "header" in source.jwt ? `jwt:header:${source.jwt.header}` : `jwt:cookie:${source.jwt.cookie}`;
}

export const MatchSchema = z.strictObject({
  /** Hostnames this rollout applies to; empty = every host. */
  hosts: z._default(z.array(Hostname).check(z.maxLength(100)), []),
  /** Path prefixes, matched on whole segments (`/api` matches `/api` and `/api/x`, not `/apix`). Longest wins. */
  pathPrefixes: z._default(z.array(PathPrefix).check(z.minLength(1), z.maxLength(100)), ["/"]),
});

export const AllowlistSchema = z.strictObject({
  /** User ids always sent to the new origin (unless killed). */
  new: z._default(z.array(UserId).check(z.maxLength(10_000)), []),
  /** User ids always kept on the legacy origin. */
  legacy: z._default(z.array(UserId).check(z.maxLength(10_000)), []),
});

/** The default stickiness: an `x-user-id` header, then the router's anonymous cookie. */
export const DEFAULT_STICKINESS: StickinessSource[] = [{ header: "x-user-id" }];

/**
 * A rollout as an operator writes it (PUT body). Unknown fields are rejected.
 *
 * @example
 * { "id": "checkout-v2", "match": { "pathPrefixes": ["/checkout"] },
 *   "origins": { "legacy": "https://old.example.com", "new": "https://new.example.com" },
 *   "percent": 10 }
 */
export const RolloutConfigShape = z.strictObject({
  id: RolloutId,
  description: z.optional(z.string().check(z.maxLength(500))),
  match: z._default(MatchSchema, { hosts: [], pathPrefixes: ["/"] }),
  origins: z.strictObject({ legacy: OriginUrl, new: OriginUrl }),
  /** Share of users sent to the new origin, 0-100 in steps of 0.01. @default 0 */
  percent: z._default(Percent, 0),
  /** Ordered sources of the user id; without one the router issues an anonymous id cookie. */
  stickiness: z._default(z.array(StickinessSource).check(z.maxLength(10)), () => DEFAULT_STICKINESS.map((s) => ({ ...s }))),
  /** Hash salt; defaults to the id. Changing it reshuffles every user. */
  salt: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  /**
   * The bucketing spec version (contracts/hash.ts). A new algorithm would be a new version that an
   * operator selects here explicitly, so that no user changes variant silently. @default 1
   */
  hashVersion: z._default(
    z.literal(HASH_SPEC_VERSION, `must be ${HASH_SPEC_VERSION}: the only bucketing spec version there is (see the README's hash section)`),
    HASH_SPEC_VERSION,
  ),
  allowlist: z._default(AllowlistSchema, { new: [], legacy: [] }),
  /**
   * Targeting rules, in order: the first whose conditions all hold decides (after the kill switch,
   * an override and the allowlists; before the percentage). See contracts/rules.ts.
   */
  rules: z.optional(RulesSchema),
  /** Kill switch: everyone goes to legacy, above every other rule. @default false */
  killed: z._default(z.boolean(), false),
  /** Retry a failed connection to the new origin once on legacy, for requests safe to repeat. @default true */
  retryOnLegacy: z._default(z.boolean(), true),
  /** Give up on an origin that has not sent its response headers after this long (504, counted as an error). */
  timeoutMs: z.optional(z.number().check(z.int("must be a whole number of milliseconds"), z.gte(100, "must be at least 100 ms"), z.lte(300_000, "must be at most 300,000 ms"))),
  /** Automatic rollback: limits on the new variant's health (see control/policy/guard.ts). */
  guard: z.optional(GuardSchema),
  /** Automatic promotion: percentages and hold times (see control/policy/stages.ts). */
  stages: z.optional(StagesSchema),
  /** When stages may start and advance: `startAt` and weekly advance windows (see contracts/schedule.ts). */
  schedule: z.optional(ScheduleSchema),
  /**
   * Shadow traffic: mirror a sample of legacy users' safe requests to new and compare the answers
   * (see contracts/shadow.ts); users are still served by legacy.
   */
  shadow: z.optional(ShadowSchema),
  /**
   * Synthetic probes the Durable Object's alarm sends straight to an origin (`x-rollout-probe`),
   * never counted as user traffic: a stage with `requireProbes` waits for them, and once new has
   * traffic a probe failing on new acts like a guard breach (contracts/external.ts ProbeSchema).
   */
  probes: z.optional(ProbesSchema),
});

/** Rules that span fields, each reported at the field an operator must change (./rollout-cross-field.ts). */
const crossFieldRules = z.superRefine((config: z.infer<typeof RolloutConfigShape>, ctx) => {
  for (const problem of crossFieldProblems(config)) ctx.issues.push({ code: "custom", ...problem });
});

/** The rollout config, validated field by field and across fields. */
export const RolloutConfigSchema = RolloutConfigShape.check(crossFieldRules);

export type RolloutConfig = z.infer<typeof RolloutConfigSchema>;
export type RolloutConfigInput = z.input<typeof RolloutConfigSchema>;
export type StickinessSource = z.infer<typeof StickinessSource>;

/** A stored rollout: its config plus what the control plane tracks about it. */
export interface StoredRollout {
  config: RolloutConfig;
  /** The config version at this rollout's last change (also its ETag). */
  version: number;
  updatedAt: string;
  updatedBy: string;
  /** Why it was last killed, while it is killed. */
  killReason: string | null;
  /** When `percent` last changed (or a kill was resumed): a stage's hold counts from here. */
  percentSince?: string;
  /**
   * Guards judge only traffic since this time: the later of the last percentage change, resume
   * and continue. Absent in rollouts stored before it existed: then `percentSince` stands in.
   */
  guardSince?: string;
  /** Stages stopped advancing (by an operator or a guard with action "pause"). */
  paused?: boolean;
  pauseReason?: string | null;
  /**
   * An operator's approval of the next stage (one with `requiresApproval`). Valid only while the
   * rollout is still at `fromPercent` and its next stage is at `percent`; a change of percentage
   * clears it, a kill or pause does not. Absent in rollouts stored before approvals existed.
   */
  approval?: StageApproval | null;
}

/** Who let a rollout into which stage (`POST /rollouts/:id/approve`). */
export interface StageApproval {
  /** The approved stage's percentage. */
  percent: number;
  /** The percentage the rollout was at when approved. */
  fromPercent: number;
  at: string;
  by: string;
  reason: string | null;
}

/** The global kill switch: above every rollout's own. */
export interface GlobalKill {
  killed: boolean;
  reason: string | null;
  at: string | null;
  by: string | null;
}

/** QA override tokens issued before `revokedBefore` (ISO-8601) grant nothing. */
export interface OverrideSettings {
  revokedBefore: string | null;
}

/** What an isolate caches: everything the hot path needs, at one version. */
export interface ConfigSnapshot {
  version: number;
  globalKill: GlobalKill;
  /** Absent in snapshots of control planes that predate it: nothing revoked. */
  overrides?: OverrideSettings;
  /** Named admin tokens (hashes only). Absent in snapshots of control planes that predate them: none. */
  tokens?: SnapshotToken[];
  /** Segments that rules use by name. Absent in snapshots of control planes that predate them: none. */
  segments?: SnapshotSegment[];
  rollouts: StoredRollout[];
}
