/**
 * `--env NAME` and `edge-router diff`: the environments file (.edge-router.json or
 * $EDGE_ROUTER_CONFIG) is validated like every other input, a token never lives in it, and the
 * token sent to an environment's router is the one its own variable holds, never another
 * environment's. The last tests run the tool against small loopback servers standing for routers.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArgs, settings } from "../../cli/args";
import { ROUTER_API_TITLE } from "../../cli/client";
import type { RolloutList, RolloutView } from "../../cli/shapes";
import type { Io } from "../../cli/context";
import { diffEnvironments } from "../../cli/diff";
import { parseEnvironmentsText, readEnvironmentsFile, selectEnvironment } from "../../cli/environments";
import { EXIT, main } from "../../cli/main";
import { RolloutConfigSchema } from "../../contracts/rollout";

const dir = mkdtempSync(join(tmpdir(), "edge-router-envs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILE = {
  environments: {
    staging: { url: "https://edge-router-staging.acme.workers.dev", tokenEnv: "EDGE_ROUTER_TOKEN_STAGING" },
    production: { url: "https://router-admin.example.com", prefix: "/ops", tokenEnv: "EDGE_ROUTER_TOKEN_PRODUCTION" },
  },
};

function problems(value: unknown): string[] {
  const result = parseEnvironmentsText(JSON.stringify(value));
  return result.ok ? [] : result.problems;
}

describe("the environments file", () => {
  it("accepts environments with a URL, an optional prefix and the name of their token's variable", () => {
    expect(parseEnvironmentsText(JSON.stringify(FILE))).toEqual({ ok: true, environments: FILE.environments });
  });

  it("refuses a token written into the file, pointing at tokenEnv instead", () => {
    const leaked = { environments: { staging: { ...FILE.environments.staging, token: "er_0123_secret" } } };
    expect(problems(leaked)).toEqual(['/environments/staging/token: never put a token in this file; name the environment variable that holds it with "tokenEnv"']);
  });

  it("names every bad field with a pointer into the file", () => {
    const bad = { environments: { staging: { url: "edge-router-staging.acme.workers.dev", tokenEnv: "$TOKEN", region: "eu" }, "Prod!": FILE.environments.production } };
    const found = problems(bad);
    expect(found).toContain("/environments/staging/url: must be the router's absolute http(s) URL, e.g. https://router-admin.example.com");
    expect(found).toContain("/environments/staging/tokenEnv: must be the name of the environment variable that holds the token, e.g. EDGE_ROUTER_TOKEN_STAGING");
    expect(found).toContain("/environments/staging: unknown field: region");
    expect(found.some((p) => p.startsWith("/environments/Prod!"))).toBe(true);
    expect(problems({ environments: { staging: { ...FILE.environments.staging, prefix: "ops/" } } })[0]).toMatch(/prefix: must be the router's ADMIN_PATH_PREFIX/);
    expect(parseEnvironmentsText("{ environments")).toMatchObject({ ok: false, problems: [expect.stringMatching(/^not valid JSON/)] });
  });

  it("is read from $EDGE_ROUTER_CONFIG before the working directory, and its absence says what to write", () => {
    const own = join(dir, "envs.json");
    writeFileSync(own, JSON.stringify(FILE));
    expect(readEnvironmentsFile({ EDGE_ROUTER_CONFIG: own }, "/nonexistent").path).toBe(own);
    writeFileSync(join(dir, ".edge-router.json"), JSON.stringify({ environments: {} }));
    expect(readEnvironmentsFile({}, dir).environments).toEqual({});
    expect(() => readEnvironmentsFile({}, "/nonexistent")).toThrow(/--env needs \/nonexistent\/\.edge-router\.json .*"tokenEnv"/);
  });
});

describe("choosing an environment", () => {
  const file = { path: ".edge-router.json", environments: FILE.environments };

  it("takes the token from the environment's own variable, never from EDGE_ROUTER_TOKEN", () => {
    const shell = { EDGE_ROUTER_TOKEN: "staging-token-left-in-the-shell", EDGE_ROUTER_URL: "https://elsewhere.example", EDGE_ROUTER_TOKEN_PRODUCTION: "prod-token" };
    const picked = settings({}, shell, selectEnvironment(file, "production", shell));
    expect(picked).toMatchObject({ url: "https://router-admin.example.com", prefix: "/ops", token: "prod-token", environment: "production" });
    const unset = settings({}, shell, selectEnvironment(file, "staging", shell));
    expect(unset.token).toBeUndefined();
    expect(unset.tokenSource).toContain("EDGE_ROUTER_TOKEN_STAGING");
  });

  it("lets flags override what the file says", () => {
    const picked = settings({ url: "http://127.0.0.1:8787", token: "t" }, {}, selectEnvironment(file, "staging", {}));
    expect(picked).toMatchObject({ url: "http://127.0.0.1:8787", token: "t" });
  });

  it("names the environments there are when asked for another", () => {
    expect(() => selectEnvironment(file, "prod", {})).toThrow('no environment "prod" in .edge-router.json (it has: staging, production)');
    expect(() => selectEnvironment(file, "constructor", {})).toThrow(/no environment "constructor"/);
  });

  it("accepts --env on every command that talks to a router, and --against on diff only", () => {
    expect(parseArgs(["apply", "plan.json", "--env", "staging"]).values.env).toBe("staging");
    expect(parseArgs(["diff", "--env", "staging", "--against", "production"]).values.against).toBe("production");
    expect(() => parseArgs(["status", "--against", "production"])).toThrow("status has no option --against");
    expect(() => parseArgs(["tail", "--env", "staging"])).toThrow("tail has no option --env");
  });
});

const config = (id: string, percent: number) => RolloutConfigSchema.parse({ id, origins: { legacy: "https://old.example", new: "https://new.example" }, percent });
const view = (id: string, percent: number): RolloutView => ({
  id,
  status: "live",
  version: 3,
  updatedAt: "2026-11-22T16:01:02.000Z",
  updatedBy: "ci",
  killReason: null,
  percentSince: "2026-11-22T16:01:02.000Z",
  paused: false,
  pauseReason: null,
  approval: null,
  stage: null,
  config: config(id, percent),
});
const list = (rollouts: RolloutView[], killed = false): RolloutList => ({ version: 5, globalKill: { killed, reason: null, at: null, by: null }, rollouts });

describe("diffing two environments", () => {
  it("finds nothing between equal rollouts, whatever their versions", () => {
    expect(diffEnvironments(list([view("cart", 10)]), list([{ ...view("cart", 10), version: 40 }]))).toEqual({
      equal: true,
      globalKill: undefined,
      rollouts: [{ id: "cart", kind: "same", changes: [] }],
    });
  });

  it("shows each changed field from there to here, and rollouts one side lacks", () => {
    const result = diffEnvironments(list([view("cart", 25), view("search", 5)]), list([view("cart", 10), view("legacy-api", 0)]));
    expect(result.equal).toBe(false);
    expect(result.rollouts).toEqual([
      { id: "cart", kind: "differs", changes: ["percent: 10 → 25"] },
      { id: "search", kind: "only-here", changes: [] },
      { id: "legacy-api", kind: "only-there", changes: [] },
    ]);
    expect(diffEnvironments(list([view("cart", 25), view("search", 5)]), list([view("cart", 10)]), "search").rollouts).toEqual([{ id: "search", kind: "only-here", changes: [] }]);
  });

  it("counts a global kill switch on one side only as a difference", () => {
    expect(diffEnvironments(list([]), list([], true))).toEqual({ equal: false, globalKill: "global kill switch: on → off", rollouts: [] });
  });
});

/** A loopback server answering as a router would, recording the bearer tokens it was sent. */
async function fakeRouter(prefix: string, rollouts: RolloutList) {
  const tokens: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === `${prefix}/api/openapi.json`) return res.end(JSON.stringify({ info: { title: ROUTER_API_TITLE }, servers: [{ url: `${prefix}/api` }] }));
    tokens.push(req.headers.authorization ?? "");
    res.setHeader("content-type", "application/json").end(JSON.stringify(rollouts));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, tokens, close: () => server.close() };
}

function io(env: Record<string, string>): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    write: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    isTTY: false,
    lines: async function* () {},
    stdinIsTTY: true,
    now: () => new Date("2026-11-22T16:05:00Z"),
    interrupted: new AbortController().signal,
    env: { NO_COLOR: "1", ...env },
  };
}

describe("the tool with --env", () => {
  let staging: Awaited<ReturnType<typeof fakeRouter>>;
  let production: Awaited<ReturnType<typeof fakeRouter>>;
  let envFile: string;
  beforeAll(async () => {
    staging = await fakeRouter("/__admin", list([view("cart", 25)]));
    production = await fakeRouter("/ops", list([view("cart", 10)]));
    envFile = join(dir, "routers.json");
    writeFileSync(
      envFile,
      JSON.stringify({
        environments: { staging: { url: staging.url, tokenEnv: "TOKEN_STAGING" }, production: { url: production.url, prefix: "/ops", tokenEnv: "TOKEN_PRODUCTION" } },
      }),
    );
  });
  afterAll(() => {
    staging?.close();
    production?.close();
  });

  it("sends each router its own token only, and exits 11 with the fields that differ", async () => {
    const term = io({ EDGE_ROUTER_CONFIG: envFile, TOKEN_STAGING: "stg", TOKEN_PRODUCTION: "prd", EDGE_ROUTER_TOKEN: "from-the-shell" });
    expect(await main(["diff", "--env", "staging", "--against", "production"], term)).toBe(EXIT.differ);
    expect(staging.tokens).toEqual(["Bearer stg"]);
    expect(production.tokens).toEqual(["Bearer prd"]);
    expect(term.stdout).toEqual(["staging against production: 1 differ (fields: production → staging)", "cart: differs", "  percent: 10 → 25"]);
  });

  it("refuses to run without the other environment's token variable, naming it", async () => {
    const term = io({ EDGE_ROUTER_CONFIG: envFile, TOKEN_STAGING: "stg", EDGE_ROUTER_TOKEN: "from-the-shell" });
    expect(await main(["diff", "--env", "staging", "--against", "production"], term)).toBe(EXIT.unauthorized);
    expect(term.stderr.join("\n")).toContain('no admin token: set TOKEN_PRODUCTION (the token variable of environment "production")');
    expect(production.tokens).toEqual(["Bearer prd"]); // nothing more than the first test's request
  });

  it("asks for --against, and refuses to compare an environment with itself", async () => {
    const term = io({ EDGE_ROUTER_CONFIG: envFile, TOKEN_STAGING: "stg" });
    expect(await main(["diff", "--env", "staging"], term)).toBe(EXIT.usage);
    expect(await main(["diff", "--env", "staging", "--against", "staging"], term)).toBe(EXIT.usage);
    expect(term.stderr).toEqual([expect.stringContaining("diff needs --against NAME"), expect.stringContaining('--env and --against both name "staging"')]);
  });
});
