/**
 * Named environments (`--env staging`): a small JSON file says where each environment's router is
 * and which environment variable holds its token, so that the same plan goes to staging, then to
 * production, with nothing but `--env` changing:
 *
 * ```json
 * { "environments": {
 *     "staging":    { "url": "https://edge-router-staging.acme.workers.dev", "tokenEnv": "EDGE_ROUTER_TOKEN_STAGING" },
 *     "production": { "url": "https://router-admin.example.com", "prefix": "/__admin", "tokenEnv": "EDGE_ROUTER_TOKEN_PRODUCTION" } } }
 * ```
 *
 * The file is `.edge-router.json` in the working directory, or the one `$EDGE_ROUTER_CONFIG` names.
 * A token is never in it (the file is meant to be committed): only the name of the variable.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { toFieldIssues } from "../contracts/field-issues";
import * as z from "../contracts/zod";
import { CliError, EXIT } from "./exit";

/** Looked for in the working directory. */
export const ENVIRONMENTS_FILE = ".edge-router.json";
/** Names another file instead. */
export const ENVIRONMENTS_FILE_VAR = "EDGE_ROUTER_CONFIG";

const isHttpUrl = (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);

const EnvironmentName = z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be a name of lowercase letters, digits, '-' and '_', e.g. staging"));

/** One environment: its router, the router's ADMIN_PATH_PREFIX, and where its token is. */
export const EnvironmentSchema = z.strictObject({
  url: z.string().check(z.refine(isHttpUrl, "must be the router's absolute http(s) URL, e.g. https://router-admin.example.com")),
  /** @default "/__admin" */
  prefix: z.optional(z.string().check(z.regex(/^(\/[A-Za-z0-9._~-]+)+$/, "must be the router's ADMIN_PATH_PREFIX, a path like /__admin (no trailing slash)"))),
  tokenEnv: z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be the name of the environment variable that holds the token, e.g. EDGE_ROUTER_TOKEN_STAGING")),
});

export const EnvironmentsFileSchema = z.strictObject({ environments: z.record(EnvironmentName, EnvironmentSchema) });

export type Environment = z.infer<typeof EnvironmentSchema>;
export type Environments = Record<string, Environment>;

/** Where one environment's router is, with its token read from the variable the file names. */
export interface SelectedEnvironment {
  name: string;
  url: string;
  prefix: string | undefined;
  token: string | undefined;
  tokenEnv: string;
}

/**
 * Validates the file's text. Problems are JSON pointers into the file with a sentence each, e.g.
 * `/environments/staging/tokenEnv: must be the name of the environment variable ...`.
 */
export function parseEnvironmentsText(text: string): { ok: true; environments: Environments } | { ok: false; problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not valid JSON: ${(error as Error).message}`] };
  }
  // A token pasted into the file is the one mistake worth its own sentence: the file is meant to be committed.
  const envs = (parsed as { environments?: unknown } | null)?.environments;
  if (envs && typeof envs === "object") {
    const leaked = Object.entries(envs).filter(([, e]) => e && typeof e === "object" && "token" in e);
    if (leaked.length)
      return {
        ok: false,
        problems: leaked.map(([name]) => `/environments/${name}/token: never put a token in this file; name the environment variable that holds it with "tokenEnv"`),
      };
  }
  const result = EnvironmentsFileSchema.safeParse(parsed);
  if (result.success) return { ok: true, environments: result.data.environments };
  return { ok: false, problems: toFieldIssues(result.error).map((i) => `${i.pointer || "/"}: ${i.message}`) };
}

/** Where the environments file is: `$EDGE_ROUTER_CONFIG`, else `.edge-router.json` in `cwd`. */
export function environmentsFilePath(env: Record<string, string | undefined>, cwd: string): string {
  return env[ENVIRONMENTS_FILE_VAR] || join(cwd, ENVIRONMENTS_FILE);
}

/** Reads and validates the environments file; any problem is a usage error naming the file. */
export function readEnvironmentsFile(env: Record<string, string | undefined>, cwd = process.cwd()): { path: string; environments: Environments } {
  const path = environmentsFilePath(env, cwd);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const missing = (error as { code?: string }).code === "ENOENT";
    throw new CliError(
      EXIT.usage,
      missing
        ? `--env needs ${path} (or ${ENVIRONMENTS_FILE_VAR} naming another file): { "environments": { "staging": { "url": "https://...", "tokenEnv": "EDGE_ROUTER_TOKEN_STAGING" } } }`
        : `cannot read ${path}: ${(error as Error).message}`,
    );
  }
  const result = parseEnvironmentsText(text);
  if (!result.ok) throw new CliError(EXIT.usage, `${path} is invalid:\n${result.problems.map((p) => `  ${p}`).join("\n")}`);
  return { path, environments: result.environments };
}

/** One environment by name, its token read from the variable the file names (never from EDGE_ROUTER_TOKEN). */
export function selectEnvironment(file: { path: string; environments: Environments }, name: string, env: Record<string, string | undefined>): SelectedEnvironment {
  const found = Object.hasOwn(file.environments, name) ? file.environments[name] : undefined;
  if (!found) {
    const names = Object.keys(file.environments);
    throw new CliError(EXIT.usage, `no environment "${name}" in ${file.path} (${names.length ? `it has: ${names.join(", ")}` : "it names none"})`);
  }
  return { name, url: found.url, prefix: found.prefix, token: env[found.tokenEnv] || undefined, tokenEnv: found.tokenEnv };
}
