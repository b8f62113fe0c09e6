/**
 * Reads the worker's vars into a seed config. Pure: takes the vars, returns a result with every
 * problem named, never throws.
 */
import { LOCATION_HINTS, type LocationHint, type ReplicaRef, replicaSet } from "./replicas";
import { originUrlProblem, RolloutConfigSchema, type RolloutConfig } from "./rollout";

export interface VarProblem {
  variable: string;
  message: string;
}

export interface EnvVars {
  LEGACY_ORIGIN?: string;
  NEW_ORIGIN?: string;
  INITIAL_PERCENT?: string;
  CONFIG_FRESHNESS_MS?: string;
  ADMIN_PATH_PREFIX?: string;
  ADMIN_HOSTNAME?: string;
  CONFIG_MAX_STALENESS_MS?: string;
  CONFIG_REPLICA_REGIONS?: string;
  CONFIG_REPLICAS_PER_REGION?: string;
  CONFIG_SIMULATED_RTT_MS?: string;
  REQUEST_LOG_SAMPLE?: string;
}

export interface EnvConfig {
  /** The seed rollout, when both origins are valid. */
  seed: RolloutConfig | undefined;
  /** LEGACY_ORIGIN when valid: where requests go when nothing else is known. */
  legacyOrigin: URL | undefined;
  /** How old a config snapshot may get before an isolate refreshes it (in the background). */
  freshnessMs: number;
  /** Past this age a request waits for a refresh: the hard bound of the freshness contract. */
  maxStalenessMs: number;
  /** The regional read tier: replicas isolates read from and flush health to (none = the primary directly). */
  replicas: ReplicaRef[];
  /**
   * For measurements only (`npm run bench -- --only read-tier`): every control-plane call of this
   * isolate is delayed by this round trip, standing for a colo far from the read tier. 0 in production.
   */
  simulatedRttMs: number;
  /**
   * The share of ordinary proxied requests that get a log line (0 to 1, default 1: every one). A
   * request with a problem (an origin error or 5xx, the proxy's own error, a retry on legacy, a stale
   * or missing config) is logged whatever this says. Analytics Engine and health count every request.
   */
  requestLogSample: number;
  /** The reserved path prefix of the dashboard and admin API: never proxied (on the admin host). */
  adminPrefix: string;
  /**
   * The only host the admin API and dashboard answer on (lowercase), or undefined for every host.
   * Elsewhere the prefix is plain traffic, so a proxied site's scripts cannot reach the dashboard.
   */
  adminHostname: string | undefined;
  problems: VarProblem[];
}

/** The id of the rollout seeded from the vars. */
export const SEED_ROLLOUT_ID = "default";
/** @default 250 ms: a change governs every request that starts later than this plus one Durable Object round trip. */
export const DEFAULT_FRESHNESS_MS = 250;
/** @default "/__admin" */
export const DEFAULT_ADMIN_PREFIX = "/__admin";

/** Whether a request is for the admin API or dashboard: its prefix, on the admin host if one is set. */
export function isAdminRequest(config: Pick<EnvConfig, "adminPrefix" | "adminHostname">, url: URL): boolean {
  const { pathname } = url;
  if (pathname !== config.adminPrefix && !pathname.startsWith(`${config.adminPrefix}/`)) return false;
  return config.adminHostname === undefined || url.hostname === config.adminHostname;
}

/** @default 600 ms: the hard bound past which a request waits for a refresh (see edge/snapshot-cache.ts). */
export const DEFAULT_MAX_STALENESS_MS = 600;
/** The hard bound plus the primary-to-replica lag must stay under the one-second kill guarantee. */
export const MAX_STALENESS_LIMIT_MS = 800;
/** Most replicas per region a deployment may ask for. */
export const MAX_REPLICAS_PER_REGION = 16;

/** A whole number var within bounds, or the default with a problem named. */
function readInt(
  vars: EnvVars,
  name: "CONFIG_MAX_STALENESS_MS" | "CONFIG_REPLICAS_PER_REGION" | "CONFIG_SIMULATED_RTT_MS",
  fallback: number,
  min: number,
  max: number,
  problems: VarProblem[],
): number {
  const raw = vars[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  problems.push({ variable: name, message: `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}; using ${fallback}` });
  return fallback;
}

/** REQUEST_LOG_SAMPLE: a number from 0 to 1, or every request logged with a problem named. */
function readSample(vars: EnvVars, problems: VarProblem[]): number {
  const raw = vars.REQUEST_LOG_SAMPLE?.trim();
  if (!raw) return 1;
  const value = Number(raw);
  if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
  problems.push({
    variable: "REQUEST_LOG_SAMPLE",
    message: `REQUEST_LOG_SAMPLE must be a number from 0 to 1 (the share of ordinary requests logged), got ${JSON.stringify(raw)}; logging every request`,
  });
  return 1;
}

/** CONFIG_REPLICA_REGIONS (location hints, comma-separated, or "all") × CONFIG_REPLICAS_PER_REGION. */
function readReplicas(vars: EnvVars, problems: VarProblem[]): ReplicaRef[] {
  const raw = vars.CONFIG_REPLICA_REGIONS?.trim().toLowerCase();
  if (!raw) return [];
  const names =
    raw === "all"
      ? [...LOCATION_HINTS]
      : raw
          .split(",")
          .map((r) => r.trim())
          .filter(Boolean);
  const unknown = names.filter((n) => !(LOCATION_HINTS as readonly string[]).includes(n));
  if (unknown.length) {
    problems.push({
      variable: "CONFIG_REPLICA_REGIONS",
      message: `CONFIG_REPLICA_REGIONS names unknown location hints (${unknown.join(", ")}); use ${LOCATION_HINTS.join(", ")} or "all"; isolates read the primary directly until it is fixed`,
    });
    return [];
  }
  const perRegion = readInt(vars, "CONFIG_REPLICAS_PER_REGION", 1, 1, MAX_REPLICAS_PER_REGION, problems);
  return replicaSet([...new Set(names)] as LocationHint[], perRegion);
}

/** The freshness window may not exceed this, or the one-second kill guarantee could not hold. */
export const MAX_FRESHNESS_MS = 750;

function readOrigin(vars: EnvVars, name: "LEGACY_ORIGIN" | "NEW_ORIGIN", problems: VarProblem[]): string | undefined {
  const value = vars[name]?.trim();
  if (!value) {
    problems.push({
      variable: name,
      message: `${name} is not set: set it to the absolute http(s) URL of the ${name === "LEGACY_ORIGIN" ? "current" : "new"} backend (wrangler.toml [vars] or --var ${name}:https://...)`,
    });
    return undefined;
  }
  const problem = originUrlProblem(value);
  if (problem) {
    problems.push({ variable: name, message: `${name} ${problem}` });
    return undefined;
  }
  return value;
}

export function readEnvConfig(vars: EnvVars): EnvConfig {
  const problems: VarProblem[] = [];
  const legacy = readOrigin(vars, "LEGACY_ORIGIN", problems);
  const next = readOrigin(vars, "NEW_ORIGIN", problems);

  let percent = 0;
  const rawPercent = vars.INITIAL_PERCENT?.trim();
  if (rawPercent) {
    const value = Number(rawPercent);
    if (!Number.isFinite(value) || value < 0 || value > 100 || Math.abs(value * 100 - Math.round(value * 100)) > 1e-7) {
      problems.push({ variable: "INITIAL_PERCENT", message: `INITIAL_PERCENT must be a number from 0 to 100 in steps of 0.01, got ${JSON.stringify(rawPercent)}` });
    } else {
      percent = value;
    }
  }

  let freshnessMs = DEFAULT_FRESHNESS_MS;
  const rawFreshness = vars.CONFIG_FRESHNESS_MS?.trim();
  if (rawFreshness) {
    const value = Number(rawFreshness);
    if (!Number.isInteger(value) || value < 0 || value > MAX_FRESHNESS_MS) {
      problems.push({
        variable: "CONFIG_FRESHNESS_MS",
        message: `CONFIG_FRESHNESS_MS must be a whole number of milliseconds from 0 to ${MAX_FRESHNESS_MS}, got ${JSON.stringify(rawFreshness)}; using ${DEFAULT_FRESHNESS_MS}`,
      });
    } else {
      freshnessMs = value;
    }
  }

  let adminPrefix = DEFAULT_ADMIN_PREFIX;
  const rawPrefix = vars.ADMIN_PATH_PREFIX?.trim();
  if (rawPrefix) {
    if (/^(\/[A-Za-z0-9._~-]+)+$/.test(rawPrefix)) adminPrefix = rawPrefix;
    else
      problems.push({
        variable: "ADMIN_PATH_PREFIX",
        message: `ADMIN_PATH_PREFIX must be a path like /__admin (segments of letters, digits and . _ ~ -, no trailing slash), got ${JSON.stringify(rawPrefix)}; using ${DEFAULT_ADMIN_PREFIX}`,
      });
  }

  let adminHostname: string | undefined;
  const rawHost = vars.ADMIN_HOSTNAME?.trim().toLowerCase();
  if (rawHost) {
    if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(rawHost) && rawHost.length <= 253) adminHostname = rawHost;
    else
      problems.push({
        variable: "ADMIN_HOSTNAME",
        message: `ADMIN_HOSTNAME must be a hostname without scheme or port, e.g. edge-router.example.workers.dev, got ${JSON.stringify(vars.ADMIN_HOSTNAME)}; the admin API is closed on every host until it is fixed`,
      });
  }

  const maxStalenessMs = readInt(vars, "CONFIG_MAX_STALENESS_MS", DEFAULT_MAX_STALENESS_MS, freshnessMs, MAX_STALENESS_LIMIT_MS, problems);
  const replicas = readReplicas(vars, problems);
  const simulatedRttMs = readInt(vars, "CONFIG_SIMULATED_RTT_MS", 0, 0, 1000, problems);
  const requestLogSample = readSample(vars, problems);

  const seed =
    legacy && next && !problems.some((p) => p.variable === "INITIAL_PERCENT")
      ? RolloutConfigSchema.parse({ id: SEED_ROLLOUT_ID, origins: { legacy, new: next }, percent })
      : undefined;
  // A broken ADMIN_HOSTNAME closes the admin API rather than opening it on every host.
  if (problems.some((p) => p.variable === "ADMIN_HOSTNAME")) adminHostname = "admin-hostname.invalid";
  return {
    seed,
    legacyOrigin: legacy ? new URL(legacy) : undefined,
    freshnessMs,
    maxStalenessMs,
    replicas,
    simulatedRttMs,
    requestLogSample,
    adminPrefix,
    adminHostname,
    problems,
  };
}
