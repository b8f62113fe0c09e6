/**
 * The Worker's environment is the `Env` interface that `wrangler types` generates from
 * wrangler.toml into worker-configuration.d.ts (checked in CI with `wrangler types --check`): every
 * binding and var, and the secrets listed under `[secrets] required`. Secrets the router only reads
 * *when set* cannot be listed there (wrangler would warn that they are missing), so they are added
 * to the generated interface here, optional.
 */
declare global {
  /** Secrets the router reads when they are set (`wrangler secret put NAME`). */
  interface OptionalSecrets {
    /** HMAC key of QA override tokens; unset = overrides are off. */
    OVERRIDE_SECRET?: string;
    /** API token for `GET /__admin/api/rollouts/:id/analytics` (Analytics Engine SQL API). */
    CF_API_TOKEN?: string;
    /** HS256 key of identity JWTs (verified stickiness sources). */
    IDENTITY_JWT_SECRET?: string;
    /** Key of the signed anonymous id cookie (default: derived from ADMIN_TOKEN). */
    IDENTITY_COOKIE_SECRET?: string;
  }
  interface Env extends OptionalSecrets {}
  namespace Cloudflare {
    interface Env extends OptionalSecrets {}
  }
}

/** The name of the one Durable Object that owns all rollouts. */
export const STATE_OBJECT_NAME = "global";
