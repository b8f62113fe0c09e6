/**
 * The checks `npm run deploy` runs before `wrangler deploy --env NAME`: every problem named in a
 * sentence that says what to change. Pure: a parsed config and a secrets listing in, findings out
 * (scripts/deploy.mjs reads wrangler.toml and asks wrangler for the secrets).
 */
import { DEFAULT_DATASET } from "../../admin/analytics-sql";
import { type EnvConfig, readEnvConfig } from "../../contracts/vars";
import type { DeployInput, TargetConfig } from "./deploy-config";
import { adminReachability, routeLabel } from "./deploy-routes";

export type CheckName = "environment" | "vars" | "secrets" | "demo-token" | "admin" | "routes" | "bindings";

/** Every check, in the order the report lists them. */
export const CHECK_NAMES: readonly CheckName[] = ["environment", "vars", "secrets", "demo-token", "admin", "routes", "bindings"];

export interface Finding {
  check: CheckName;
  /** An error stops the deploy; a warning is printed and the deploy goes on. */
  level: "error" | "warning";
  message: string;
}

/** The environment held to the strictest rules: routes, and the admin API on a host of its own. */
export const PRODUCTION_ENV = "production";
/** The secret every environment needs: without it the admin API is closed to everyone. */
export const ADMIN_TOKEN = "ADMIN_TOKEN";
/** Secrets the router reads (contracts/env.ts): never to be set as plain vars. */
export const ROUTER_SECRETS = ["ADMIN_TOKEN", "OVERRIDE_SECRET", "IDENTITY_JWT_SECRET", "IDENTITY_COOKIE_SECRET", "CF_API_TOKEN"] as const satisfies ReadonlyArray<keyof Env>;
/** `npm start` writes demo secrets with this prefix into .dev.vars; they must never reach a deployed Worker. */
export const DEMO_SECRET_PREFIX = "demo-";
/** Vars that only measurements and tests set (bench/, vitest.config.ts). */
const TEST_ONLY_VARS = ["CONFIG_SIMULATED_RTT_MS", "ADMIN_WRITES_REFRESH_LOCALLY", "CF_API_BASE_URL"];
const ADMIN_VARS = new Set(["ADMIN_PATH_PREFIX", "ADMIN_HOSTNAME"]);

const error = (check: CheckName, message: string): Finding => ({ check, level: "error", message });
const warning = (check: CheckName, message: string): Finding => ({ check, level: "warning", message });

/** `--env NAME` must name an environment of wrangler.toml (the top level is the local config). */
export function checkEnvironment(env: string | undefined, declared: readonly string[]): Finding[] {
  const known = declared.length ? declared.join(", ") : "none: add [env.staging] and [env.production] to wrangler.toml";
  if (!env)
    return [
      error(
        "environment",
        `name the environment to deploy: --env staging or --env production (declared in wrangler.toml: ${known}); the top level is the local config of npm start`,
      ),
    ];
  if (!declared.includes(env)) return [error("environment", `wrangler.toml has no [env.${env}] (declared: ${known})`)];
  return [];
}

/** The router's vars, as the Worker will read them: readEnvConfig must find nothing wrong. */
function checkVars({ target, base }: DeployInput, config: EnvConfig): Finding[] {
  const table = `[env.${target.env}.vars]`;
  const findings: Finding[] = [];
  for (const [name, value] of Object.entries(target.vars)) {
    if ((ROUTER_SECRETS as readonly string[]).includes(name)) {
      findings.push(
        error(
          "vars",
          `${table} sets ${name}, a secret: vars are uploaded in plain text and shown in the dashboard; remove it and run npx wrangler secret put ${name} --env ${target.env}`,
        ),
      );
    } else if (typeof value !== "string") {
      findings.push(error("vars", `${table} ${name} must be a string (quote it: ${name} = "${String(value)}")`));
    } else if (!Object.hasOwn(base.vars, name) && !TEST_ONLY_VARS.includes(name)) {
      findings.push(warning("vars", `${table} sets ${name}, which the router does not read (a typo? the top-level [vars] lists every var it reads)`));
    }
  }
  for (const problem of config.problems) if (!ADMIN_VARS.has(problem.variable)) findings.push(error("vars", `${table} ${problem.message}`));
  if (config.simulatedRttMs > 0) findings.push(error("vars", `${table} CONFIG_SIMULATED_RTT_MS delays every control-plane call (for measurements only): remove it`));
  if (target.vars.ADMIN_WRITES_REFRESH_LOCALLY === "false")
    findings.push(warning("vars", `${table} ADMIN_WRITES_REFRESH_LOCALLY = "false" is for tests: admin writes then wait a freshness window`));
  if (target.vars.CF_API_BASE_URL) findings.push(warning("vars", `${table} CF_API_BASE_URL points the analytics queries away from api.cloudflare.com (tests use it for a fake)`));
  return findings;
}

/** Every secret the environment needs is set on its Worker, or in the --secrets-file of this deploy. */
function checkSecrets({ target, secrets, secretsFile }: DeployInput): Finding[] {
  const required = [...new Set([ADMIN_TOKEN, ...target.requiredSecrets])];
  const uploaded = Object.keys(secretsFile?.values ?? {});
  const put = (name: string) => `npx wrangler secret put ${name} --env ${target.env}`;
  if (secrets.state === "skipped")
    return [warning("secrets", `secrets not checked (--skip-secrets-check); wrangler deploy still refuses if one in [env.${target.env}.secrets] required is missing`)];
  if (secrets.state === "unlisted") {
    const unknown = required.filter((name) => !uploaded.includes(name));
    if (!unknown.length) return [];
    return [
      error(
        "secrets",
        `could not list the secrets of ${target.name}, so ${unknown.join(", ")} could not be checked (wrangler said: ${secrets.why}). ` +
          `Log in (npx wrangler login) or set CLOUDFLARE_API_TOKEN, and check with npx wrangler secret list --env ${target.env}; ` +
          `or run again with --skip-secrets-check to deploy without this check`,
      ),
    ];
  }
  const present = new Set([...secrets.names, ...uploaded]);
  const missing = required.filter((name) => !present.has(name));
  const findings = missing.map((name) =>
    error(
      "secrets",
      secrets.workerExists
        ? `${name} is not set on ${target.name}: ${put(name)}`
        : `${name} is not set, and ${target.name} does not exist yet, so its first deploy brings its secrets: --secrets-file FILE (NAME=value lines or JSON; never .dev.vars, whose tokens are demo ones)`,
    ),
  );
  if (target.env === PRODUCTION_ENV && !present.has("IDENTITY_COOKIE_SECRET")) {
    findings.push(
      warning(
        "secrets",
        `IDENTITY_COOKIE_SECRET is not set: anonymous ids are signed with a key derived from ADMIN_TOKEN, so rotating the token reshuffles anonymous users (${put("IDENTITY_COOKIE_SECRET")})`,
      ),
    );
  }
  if (target.vars.CF_ACCOUNT_ID && !present.has("CF_API_TOKEN"))
    findings.push(warning("secrets", `CF_ACCOUNT_ID is set but CF_API_TOKEN is not: the analytics endpoint answers 501 (${put("CF_API_TOKEN")})`));
  return findings;
}

/** The demo secrets `npm start` writes into .dev.vars never reach a deployed Worker. */
function checkDemoSecrets({ target, secretsFile }: DeployInput): Finding[] {
  if (!secretsFile) return [];
  return Object.entries(secretsFile.values)
    .filter(([, value]) => value.startsWith(DEMO_SECRET_PREFIX))
    .map(([name]) =>
      error(
        "demo-token",
        `${secretsFile.path} sets ${name} to a demo value (${DEMO_SECRET_PREFIX}…, written by npm start into .dev.vars and printed in its banner): ` +
          `it would open ${target.name} to anyone who saw it. Put a fresh secret in the file instead (e.g. openssl rand -hex 32)`,
      ),
    );
}

/** ADMIN_PATH_PREFIX and ADMIN_HOSTNAME are valid, and the admin API is reachable where they say. */
function checkAdmin({ target }: DeployInput, config: EnvConfig): Finding[] {
  const findings = config.problems.filter((p) => ADMIN_VARS.has(p.variable)).map((p) => error("admin", `[env.${target.env}.vars] ${p.message}`));
  if (findings.length) return findings;
  if (config.adminHostname === undefined) {
    const why = `ADMIN_HOSTNAME is not set: the dashboard would share an origin with the proxied site, whose scripts (the new code being rolled out included) could read the token it keeps. Set it to a host of its own (a custom domain in routes, or ${target.name}.<subdomain>.workers.dev)`;
    findings.push(target.env === PRODUCTION_ENV ? error("admin", why) : warning("admin", why));
  }
  const reach = adminReachability(target, config.adminHostname, config.adminPrefix);
  if (reach.problem) findings.push(error("admin", reach.problem));
  if (reach.workersDevHostMismatch) {
    findings.push(warning("admin", `ADMIN_HOSTNAME "${config.adminHostname}" is a workers.dev host, but this Worker's is ${target.name}.<subdomain>.workers.dev`));
  }
  return findings;
}

/** Production is reached on its own routes or custom domain; no environment is reachable nowhere. */
function checkRoutes({ target }: DeployInput): Finding[] {
  if (target.routes.length) return [];
  const example = `routes = [{ pattern = "www.example.com/*", zone_name = "example.com" }] or [{ pattern = "app.example.com", custom_domain = true }]`;
  if (target.env === PRODUCTION_ENV) return [error("routes", `[env.${PRODUCTION_ENV}] has no routes or custom domain, so no user would reach it: add ${example}`)];
  if (target.workersDev === false)
    return [error("routes", `[env.${target.env}] has no routes and workers_dev = false: nothing would reach it; add ${example}, or workers_dev = true`)];
  return [];
}

/** Bindings are not inherited: the environment declares its own, bound to its own Worker, and its own dataset. */
function checkBindings({ target, base }: DeployInput): Finding[] {
  const findings: Finding[] = [];
  for (const wanted of base.durableObjects) {
    const own = target.durableObjects.find((b) => b.name === wanted.name);
    if (!own || own.class_name !== wanted.class_name) {
      findings.push(
        error(
          "bindings",
          `[env.${target.env}] lacks the Durable Object binding ${wanted.name} (class ${wanted.class_name}): wrangler does not inherit bindings; add [[env.${target.env}.durable_objects.bindings]]`,
        ),
      );
    } else if (own.script_name && own.script_name !== target.name) {
      findings.push(
        error(
          "bindings",
          `${wanted.name} in [env.${target.env}] points at the Worker ${own.script_name}: ${target.name} would read and write that Worker's rollouts; remove script_name`,
        ),
      );
    }
  }
  const dataset = (target.vars.ANALYTICS_DATASET as string | undefined) || DEFAULT_DATASET;
  for (const wanted of base.analyticsDatasets) {
    const own = target.analyticsDatasets.find((d) => d.binding === wanted.binding);
    if (!own?.dataset) {
      findings.push(
        error(
          "bindings",
          `[env.${target.env}] lacks the Analytics Engine binding ${wanted.binding} with a dataset: add [[env.${target.env}.analytics_engine_datasets]] with binding and dataset`,
        ),
      );
    } else if (own.dataset !== dataset) {
      findings.push(error("bindings", `${target.name} writes to dataset "${own.dataset}" but its analytics queries read "${dataset}": set ANALYTICS_DATASET = "${own.dataset}"`));
    } else if (own.dataset === wanted.dataset) {
      findings.push(warning("bindings", `${target.name} writes to "${own.dataset}", the local config's dataset: give each environment its own, or their analytics mix`));
    }
  }
  return findings;
}

/** Every check on one environment, in the order of CHECK_NAMES. */
export function checkDeploy(input: DeployInput): Finding[] {
  // A var that is not a string is its own finding (checkVars); the router would read it as unset.
  const strings = Object.fromEntries(Object.entries(input.target.vars).filter(([, value]) => typeof value === "string"));
  const config = readEnvConfig(strings);
  return [...checkVars(input, config), ...checkSecrets(input), ...checkDemoSecrets(input), ...checkAdmin(input, config), ...checkRoutes(input), ...checkBindings(input)];
}

/** The report: one line per check (ok, or each finding), then what happens next. */
export function formatReport(target: Pick<TargetConfig, "env" | "name" | "routes">, findings: readonly Finding[], dryRun: boolean): string {
  const lines = [`Checks for --env ${target.env} (Worker ${target.name}${target.routes.length ? `; ${target.routes.map(routeLabel).join(", ")}` : ""}):`];
  for (const check of CHECK_NAMES) {
    const mine = findings.filter((f) => f.check === check);
    if (!mine.length) lines.push(`  ok    ${check}`);
    for (const f of mine) lines.push(`  ${f.level === "error" ? "FAIL" : "warn"}  ${check}: ${f.message}`);
  }
  const errors = findings.filter((f) => f.level === "error").length;
  if (errors) lines.push(`${errors} problem${errors === 1 ? "" : "s"}: nothing was deployed. Fix ${errors === 1 ? "it" : "them"} and run again.`);
  else lines.push(dryRun ? "Checks passed: wrangler deploy --dry-run (nothing is uploaded)." : `Checks passed: deploying ${target.name}.`);
  return lines.join("\n");
}
