/**
 * The promotion path of the command-line tool against two real routers (`wrangler dev`), one
 * standing for staging and one for production, each with its own token: `.edge-router.json` in the
 * working directory names them, the tokens come from EDGE_ROUTER_TOKEN_STAGING and
 * EDGE_ROUTER_TOKEN_PRODUCTION. A plan applied to staging shows up in `diff` until the same file
 * is applied to production.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Router, startRouter } from "./harness";

const ROOT = join(import.meta.dirname, "..", "..");
const NODE = join(ROOT, "node_modules", ".bin", "node");
const BIN = join(ROOT, "bin", "edge-router.mjs");
/** The operator's working directory: the plan and .edge-router.json, nothing else. */
const work = mkdtempSync(join(tmpdir(), "edge-router-promote-"));
let staging: Router;
let production: Router;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, EDGE_ROUTER_TOKEN_STAGING: staging.adminToken, EDGE_ROUTER_TOKEN_PRODUCTION: production.adminToken, NO_COLOR: "1" };
    for (const name of ["EDGE_ROUTER_URL", "EDGE_ROUTER_TOKEN", "EDGE_ROUTER_PREFIX", "EDGE_ROUTER_CONFIG", "FORCE_COLOR"]) delete env[name];
    execFile(NODE, [BIN, ...args], { cwd: work, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function percentOf(router: Router, id: string): Promise<number | undefined> {
  const res = await router.admin("GET", `/rollouts/${id}`);
  return res.status === 404 ? undefined : ((await res.json()) as { config: { percent: number } }).config.percent;
}

beforeAll(async () => {
  staging = await startRouter();
  // The same origins behind both, so that the seeded `default` rollouts start out equal.
  production = await startRouter({ vars: { LEGACY_ORIGIN: staging.origins.legacy, NEW_ORIGIN: staging.origins.new } });
  writeFileSync(
    join(work, ".edge-router.json"),
    JSON.stringify({
      environments: {
        staging: { url: staging.url, tokenEnv: "EDGE_ROUTER_TOKEN_STAGING" },
        production: { url: production.url, prefix: "/__admin", tokenEnv: "EDGE_ROUTER_TOKEN_PRODUCTION" },
      },
    }),
  );
  writeFileSync(
    join(work, "plan.json"),
    JSON.stringify({
      rollouts: [
        { id: "default", origins: staging.origins, percent: 10 },
        { id: "checkout", match: { pathPrefixes: ["/checkout"] }, origins: staging.origins, percent: 25 },
      ],
    }),
  );
});

afterAll(async () => {
  await Promise.all([staging?.stop(), production?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

describe("promoting a plan from staging to production", () => {
  it("applies to staging, shows the difference, applies the same file to production, and then shows none", async () => {
    const before = await cli(["diff", "--env", "staging", "--against", "production"]);
    expect(before.stderr).toBe("");
    expect(before.code).toBe(0);
    expect(before.stdout).toContain("default: same");

    const toStaging = await cli(["apply", "plan.json", "--env", "staging"]);
    expect(toStaging.stderr).toBe("");
    expect(toStaging.code).toBe(0);
    expect(await percentOf(staging, "checkout")).toBe(25);
    expect(await percentOf(production, "checkout")).toBeUndefined();

    const differs = await cli(["diff", "--env", "staging", "--against", "production"]);
    expect(differs.code).toBe(11);
    expect(differs.stdout).toContain("staging against production: 1 differ, 1 only in staging");
    expect(differs.stdout).toMatch(/^default: differs\n {2}percent: 0 → 10$/m);
    expect(differs.stdout).toMatch(/^checkout: only in staging$/m);
    const json = JSON.parse((await cli(["diff", "checkout", "--env", "staging", "--against", "production", "--json"])).stdout);
    expect(json).toMatchObject({ env: "staging", against: "production", equal: false, rollouts: [{ id: "checkout", kind: "only-here" }] });

    const toProduction = await cli(["apply", "plan.json", "--env", "production"]);
    expect(toProduction.stderr).toBe("");
    expect(toProduction.code).toBe(0);
    expect(await percentOf(production, "checkout")).toBe(25);
    expect(await percentOf(production, "default")).toBe(10);

    const after = await cli(["diff", "--env", "staging", "--against", "production"]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain("staging against production: 2 the same");
  });
});
