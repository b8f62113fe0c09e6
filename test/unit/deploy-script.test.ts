/**
 * `npm run deploy` as an operator runs it, on a temp copy of this repository's wrangler.toml:
 * the checks read it through wrangler's own config reader, and a check that fails stops before
 * `wrangler deploy`. No network and no account: the Worker's secret listing comes from the
 * test-only EDGE_ROUTER_DEPLOY_SECRETS_STUB file (scripts/deploy.mjs), and the one run that passes
 * its checks goes on to a real `wrangler deploy --dry-run`, which uploads nothing.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");
const dir = mkdtempSync(join(tmpdir(), "edge-router-deploy-"));
/** wrangler's reader and esbuild start in a few seconds; the dry run bundles the Worker too. */
const TIMEOUT_MS = 90_000;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The shipped wrangler.toml, `main` made absolute (the copy lives elsewhere), with `edit` applied. */
function config(name: string, edit: (toml: string) => string = (t) => t): string {
  const shipped = readFileSync(join(ROOT, "wrangler.toml"), "utf8").replace('main = "edge/index.ts"', `main = ${JSON.stringify(join(ROOT, "edge", "index.ts"))}`);
  const file = join(dir, `${name}.toml`);
  writeFileSync(file, edit(shipped));
  return file;
}

/** The staging section's origins filled in, as an operator does before the first deploy. */
const withStagingOrigins = (toml: string) => {
  const edited = toml.replace(
    '[env.staging.vars]\nLEGACY_ORIGIN = ""\nNEW_ORIGIN = ""',
    '[env.staging.vars]\nLEGACY_ORIGIN = "https://legacy.example.com"\nNEW_ORIGIN = "https://new.example.com"',
  );
  if (edited === toml) throw new Error("wrangler.toml's [env.staging.vars] no longer starts with the two origins: update this test");
  return edited;
};

/** What `wrangler secret list` would answer (see scripts/deploy.mjs). */
function secretsStub(name: string, answer: unknown): string {
  const file = join(dir, `${name}.secrets.json`);
  writeFileSync(file, JSON.stringify(answer));
  return file;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function deploy(command: string, args: string[], stub: string): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ""}`, EDGE_ROUTER_DEPLOY_SECRETS_STUB: stub, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "true" };
    execFile(command, args, { cwd: ROOT, env, timeout: TIMEOUT_MS }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const node = (args: string[], stub: string) => deploy(join(BIN, "node"), [join(ROOT, "scripts", "deploy.mjs"), ...args], stub);

describe("npm run deploy", () => {
  it(
    "stops before wrangler deploy when staging lacks a var and ADMIN_TOKEN, naming both",
    async () => {
      const run = await deploy(
        "npm",
        ["run", "--silent", "deploy", "--", "--env", "staging", "--dry-run", "--config", config("bare")],
        secretsStub("none", [{ name: "OVERRIDE_SECRET", type: "secret_text" }]),
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("FAIL  vars: [env.staging.vars] LEGACY_ORIGIN is not set");
      expect(run.stdout).toContain("FAIL  secrets: ADMIN_TOKEN is not set on edge-router-staging: npx wrangler secret put ADMIN_TOKEN --env staging");
      expect(run.stdout).toMatch(/\d problems: nothing was deployed/);
      expect(run.stdout).not.toContain("--dry-run: exiting now"); // wrangler deploy never ran
    },
    TIMEOUT_MS,
  );

  it(
    "fails when the secrets cannot be listed, saying how to check them",
    async () => {
      const run = await node(["--env", "staging", "--dry-run", "--config", config("unlisted", withStagingOrigins)], secretsStub("error", { error: "Not logged in." }));
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("FAIL  secrets: could not list the secrets of edge-router-staging, so ADMIN_TOKEN could not be checked (wrangler said: Not logged in.)");
      expect(run.stdout).toContain("1 problem: nothing was deployed");
    },
    TIMEOUT_MS,
  );

  it(
    "refuses the shipped production section until it has origins, routes and an admin host",
    async () => {
      const run = await node(["--env", "production", "--dry-run", "--config", config("production")], secretsStub("admin", [{ name: "ADMIN_TOKEN", type: "secret_text" }]));
      expect(run.code).toBe(1);
      for (const needed of [
        "LEGACY_ORIGIN is not set",
        "NEW_ORIGIN is not set",
        "FAIL  admin: ADMIN_HOSTNAME is not set",
        "FAIL  routes: [env.production] has no routes or custom domain",
      ]) {
        expect(run.stdout).toContain(needed);
      }
    },
    TIMEOUT_MS,
  );

  it(
    "refuses a --secrets-file holding npm start's demo token",
    async () => {
      const devVars = join(dir, ".dev.vars");
      writeFileSync(devVars, "ADMIN_TOKEN=demo-0123456789abcdef0123456789abcdef\n");
      const run = await node(
        ["--env", "staging", "--dry-run", "--secrets-file", devVars, "--config", config("demo", withStagingOrigins)],
        secretsStub("fresh", { workerExists: false }),
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`FAIL  demo-token: ${devVars} sets ADMIN_TOKEN to a demo value`);
    },
    TIMEOUT_MS,
  );

  it(
    "runs wrangler deploy --dry-run for staging once every check passes, with staging's own bindings",
    async () => {
      const run = await node(
        ["--env", "staging", "--dry-run", "--config", config("complete", withStagingOrigins)],
        secretsStub("admin", [{ name: "ADMIN_TOKEN", type: "secret_text" }]),
      );
      expect(run.stderr).not.toContain("ERROR");
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("Checks passed: wrangler deploy --dry-run");
      expect(run.stdout).toContain("--dry-run: exiting now.");
      expect(run.stdout).toMatch(/env\.ANALYTICS \(edge_router_requests_staging\)/);
    },
    TIMEOUT_MS,
  );

  it(
    "asks for an environment instead of deploying the local config",
    async () => {
      const run = await node([], secretsStub("empty", []));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("name the environment to deploy: --env staging or --env production");
    },
    TIMEOUT_MS,
  );
});
