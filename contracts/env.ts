import type { RolloutState } from "../control/rollout-state";

/** The worker's bindings and vars (see wrangler.toml for what each one means). */
export interface Env {
  ROLLOUT_STATE: DurableObjectNamespace<RolloutState>;
  ANALYTICS?: AnalyticsEngineDataset;
  LEGACY_ORIGIN?: string;
  NEW_ORIGIN?: string;
  INITIAL_PERCENT?: string;
  CONFIG_FRESHNESS_MS?: string;
  /** The reserved path prefix of the dashboard and admin API (default /__admin). */
  ADMIN_PATH_PREFIX?: string;
  /** Bearer token of the admin API; unset = the admin API answers 401 to everyone. */
  ADMIN_TOKEN?: string;
  /** HMAC key for QA override tokens; defaults to ADMIN_TOKEN. */
  OVERRIDE_SECRET?: string;
  /** Account id and API token for `GET /__admin/api/rollouts/:id/analytics` (Analytics Engine SQL API). */
  CF_ACCOUNT_ID?: string;
  CF_API_TOKEN?: string;
  ANALYTICS_DATASET?: string;
  CF_API_BASE_URL?: string;
  /** "false" = an admin write does not refresh the answering isolate's snapshot at once (to measure the cross-isolate path). */
  ADMIN_WRITES_REFRESH_LOCALLY?: string;
}

/** The name of the one Durable Object that owns all rollouts. */
export const STATE_OBJECT_NAME = "global";
