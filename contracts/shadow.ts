/**
 * Shadow traffic: a rollout's `shadow` field. While a user is served by legacy, the router may
 * send a copy of the request to the new origin, compare both answers and count the differences
 * (GitHub's Scientist and Twitter's Diffy do this for code paths and services). The user only
 * ever sees legacy's answer. No I/O.
 */
import { isPointer } from "./json-pointer";
import { Percent } from "./percent";
import { HeaderName } from "./http-names";
import * as z from "./zod";

/** A body is kept for comparison up to this many bytes; beyond, only its length and prefix hash. */
export const SHADOW_BODY_CAP_BYTES = 1024 * 1024;

/** Most header names an operator may ask to compare. */
export const MAX_SHADOW_HEADERS = 50;
/** Most ignored pointers per rollout: each is checked against every leaf of every body. */
export const MAX_SHADOW_IGNORES = 100;

/**
 * Methods safe to mirror: RFC 9110 §9.2.1 "safe" methods, which a client does not expect to
 * change anything. A mirrored request runs a second time on another system, so a POST would
 * place an order twice.
 */
export const SHADOW_SAFE_METHODS = ["GET", "HEAD", "OPTIONS"] as const;

const Method = z.string().check(
  z.trim(),
  z.toUpperCase(),
  z.superRefine((method, ctx) => {
    if ((SHADOW_SAFE_METHODS as readonly string[]).includes(method)) return;
    ctx.issues.push({
      code: "custom",
      input: method,
      message: `${method} cannot be mirrored: a mirrored request runs again on the new origin, so only safe methods (GET, HEAD, OPTIONS) are allowed`,
    });
  }),
);

const IgnorePointer = z.string().check(z.refine(isPointer, "must be a JSON Pointer (RFC 6901) such as /meta/requestId: empty or starting with '/', with '~' only as ~0 or ~1"));

/** What counts as "the same answer". */
export const ShadowCompareSchema = z.strictObject({
  /** Compare status codes. @default true */
  status: z._default(z.boolean(), true),
  /** Header names whose values must be equal (absent on both sides is equal). @default [] */
  headers: z._default(z.array(HeaderName).check(z.maxLength(MAX_SHADOW_HEADERS, `at most ${MAX_SHADOW_HEADERS} header names`)), []),
  /**
   * `json`: parse both bodies and compare structurally (key order and whitespace do not matter),
   * falling back to `bytes` when either is not JSON or is over the size cap; `bytes`: length and
   * hash; `none`: bodies are not compared. @default "json"
   */
  body: z._default(z.enum(["json", "bytes", "none"]), "json"),
  /** JSON Pointers whose values (and everything under them) never count, e.g. `/meta/requestId`. @default [] */
  ignore: z._default(z.array(IgnorePointer).check(z.maxLength(MAX_SHADOW_IGNORES, `at most ${MAX_SHADOW_IGNORES} ignored pointers`)), []),
});

/**
 * A rollout's shadow settings. Unknown fields are rejected.
 *
 * @example { "percent": 5, "compare": { "headers": ["content-type"], "ignore": ["/meta/requestId"] } }
 */
export const ShadowSchema = z.strictObject({
  /** Share of legacy users whose requests are mirrored to new, 0-100 in steps of 0.01; 0 = off. */
  percent: Percent,
  /** Methods mirrored; only safe ones are accepted. @default ["GET", "HEAD"] */
  methods: z._default(z.array(Method).check(z.minLength(1, "needs at least one method (set percent to 0 to stop mirroring)")), ["GET", "HEAD"]),
  compare: z._default(ShadowCompareSchema, { status: true, headers: [], body: "json", ignore: [] }),
  /** Most mirrors in flight at once per isolate; beyond, requests are simply not mirrored. @default 10 */
  maxConcurrent: z._default(
    z.number().check(z.int("must be a whole number"), z.gte(1, "must be at least 1 (set percent to 0 to stop mirroring)"), z.lte(1000, "must be at most 1000")),
    10,
  ),
  /** Send the user's cookie and authorization headers to new with the mirror. @default false */
  forwardCredentials: z._default(z.boolean(), false),
});

export type ShadowConfig = z.infer<typeof ShadowSchema>;
export type ShadowConfigInput = z.input<typeof ShadowSchema>;
export type ShadowCompare = z.infer<typeof ShadowCompareSchema>;

/**
 * The salt of the shadow sample. A user is mirrored when the variant chosen is legacy and
 * `bucketOf(shadowSalt(salt), userId) < round(percent × 100)` (contracts/hash.ts).
 *
 * Why a salt of its own: with the rollout's salt, the users in the lowest buckets are exactly
 * those in new, so a shadow percentage at or below the rollout's would mirror no legacy user at
 * all. A second salt makes the shadow sample independent of the variant split, and still sticky.
 *
 * @example shadowSalt("checkout-v2") // "checkout-v2:shadow"
 */
export function shadowSalt(salt: string): string {
  return salt + ":shadow";
}
