/**
 * What `npm run deploy` checks, as plain data: one environment's effective config (read by
 * wrangler's own config reader, so vars, routes and bindings are exactly what `wrangler deploy
 * --env NAME` would upload), the secrets already set on its Worker, and the secrets this deploy
 * uploads itself. Pure: scripts/deploy.mjs does the reading and the listing.
 */
import { parseEnv } from "node:util";

/** A route as wrangler.toml writes it; a custom domain is `{ pattern = "host", custom_domain = true }`. */
export type Route = string | { pattern: string; custom_domain?: boolean; zone_name?: string; zone_id?: string };

export interface DurableObjectBinding {
  name: string;
  class_name: string;
  /** Another Worker whose objects this binding reaches (unset: this Worker's own). */
  script_name?: string;
}

export interface DatasetBinding {
  binding: string;
  dataset?: string;
}

/** The parts of one environment's effective config that the checks read. */
export interface TargetConfig {
  /** The wrangler environment, e.g. "staging". */
  env: string;
  /** The Worker's name as deployed: wrangler appends the environment (edge-router-staging). */
  name: string;
  vars: Record<string, unknown>;
  /** `routes` and `route` together. */
  routes: Route[];
  /** As written; unset means "on when there are no routes" (wrangler's default). */
  workersDev: boolean | undefined;
  /** `[env.NAME.secrets] required`: wrangler deploy itself refuses when one is missing. */
  requiredSecrets: string[];
  durableObjects: DurableObjectBinding[];
  analyticsDatasets: DatasetBinding[];
}

/** The top level of wrangler.toml (the local config): every var the router reads, every binding it needs. */
export type BaseConfig = Pick<TargetConfig, "vars" | "durableObjects" | "analyticsDatasets">;

/** What `wrangler secret list` said about the Worker's secrets. */
export type SecretsListing =
  /** The names set on the Worker; `workerExists: false` when the Worker is not deployed yet (none then). */
  | { state: "listed"; names: string[]; workerExists: boolean }
  /** wrangler could not list them (not logged in, no API token, offline...): `why` is its message. */
  | { state: "unlisted"; why: string }
  /** `--skip-secrets-check`: not asked. */
  | { state: "skipped" };

/** Secrets this deploy uploads itself (`--secrets-file`), with the file's name for messages. */
export interface SecretsFile {
  path: string;
  values: Record<string, string>;
}

export interface DeployInput {
  target: TargetConfig;
  base: BaseConfig;
  secrets: SecretsListing;
  secretsFile: SecretsFile | undefined;
}

/** The shape of `unstable_readConfig`'s answer that we read (wrangler's `Config`). */
export interface WranglerConfigLike {
  name?: string;
  vars?: Record<string, unknown>;
  routes?: Route[];
  route?: Route;
  workers_dev?: boolean;
  secrets?: { required?: string[] };
  durable_objects?: { bindings?: DurableObjectBinding[] };
  analytics_engine_datasets?: DatasetBinding[];
}

/** One environment's effective wrangler config as the checks read it. */
export function targetFromWrangler(config: WranglerConfigLike, env: string): TargetConfig {
  return {
    env,
    name: config.name ?? "(unnamed)",
    vars: { ...config.vars },
    routes: [...(config.routes ?? []), ...(config.route ? [config.route] : [])],
    workersDev: config.workers_dev,
    requiredSecrets: [...(config.secrets?.required ?? [])],
    durableObjects: (config.durable_objects?.bindings ?? []).map((b) => ({ ...b })),
    analyticsDatasets: (config.analytics_engine_datasets ?? []).map((d) => ({ ...d })),
  };
}

/** The top level as the base the environments are compared with. */
export function baseFromWrangler(config: WranglerConfigLike): BaseConfig {
  const { vars, durableObjects, analyticsDatasets } = targetFromWrangler(config, "");
  return { vars, durableObjects, analyticsDatasets };
}

/**
 * A `--secrets-file` as wrangler uploads it: a JSON object of strings, or dotenv lines
 * (`NAME=value`) whose values the process environment overrides (wrangler's rule), so that the
 * checks see the value that would really be uploaded.
 * @example parseSecretsFile('ADMIN_TOKEN=abc\n# comment') // { ADMIN_TOKEN: "abc" }
 */
export function parseSecretsFile(text: string, processEnv: Record<string, string | undefined> = {}): Record<string, string> {
  if (text.trimStart().startsWith("{")) {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("a JSON secrets file must hold one object of names and values");
    return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, typeof value === "string" ? value : JSON.stringify(value)]));
  }
  const values = parseEnv(text) as Record<string, string>;
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, processEnv[name] ?? value]));
}

/**
 * The secret names in `wrangler secret list --format json` output (an array of `{ name, type }`).
 * Throws on anything else, so that an unexpected answer is never read as "no secrets".
 */
export function secretNamesFromListing(json: string): string[] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((s) => s !== null && typeof s === "object" && typeof (s as { name?: unknown }).name === "string")) {
    throw new Error(`expected a JSON array of { "name": ... }, got ${json.slice(0, 200)}`);
  }
  return parsed.map((s: { name: string }) => s.name);
}
