/**
 * The checks `npm run deploy` runs before uploading anything (scripts/lib/deploy-checks.ts), on
 * plain configs: what an operator who forgot a var, a secret, a route or a binding is told, and
 * what a complete environment is allowed to deploy.
 */
import { describe, expect, it } from "vitest";
import { checkDeploy, checkEnvironment, type Finding, formatReport } from "../../scripts/lib/deploy-checks";
import { type BaseConfig, type DeployInput, parseSecretsFile, type SecretsListing, secretNamesFromListing, type TargetConfig } from "../../scripts/lib/deploy-config";
import { routeCovers } from "../../scripts/lib/deploy-routes";

const VAR_NAMES = [
  "LEGACY_ORIGIN",
  "NEW_ORIGIN",
  "INITIAL_PERCENT",
  "ADMIN_PATH_PREFIX",
  "ADMIN_HOSTNAME",
  "ANALYTICS_DATASET",
  "CF_ACCOUNT_ID",
  "CONFIG_REPLICA_REGIONS",
  "CONFIG_REPLICAS_PER_REGION",
];
const DURABLE_OBJECTS = [
  { name: "ROLLOUT_STATE", class_name: "RolloutState" },
  { name: "CONFIG_REPLICA", class_name: "ConfigReplica" },
];
const base: BaseConfig = {
  vars: Object.fromEntries(VAR_NAMES.map((n) => [n, ""])),
  durableObjects: DURABLE_OBJECTS,
  analyticsDatasets: [{ binding: "ANALYTICS", dataset: "edge_router_requests" }],
};

/** A staging environment that deserves to deploy: origins, its own dataset, on workers.dev. */
function staging(overrides: Partial<TargetConfig> = {}, vars: Record<string, unknown> = {}): TargetConfig {
  return {
    env: "staging",
    name: "edge-router-staging",
    vars: {
      ...base.vars,
      LEGACY_ORIGIN: "https://legacy.example.com",
      NEW_ORIGIN: "https://new.example.com",
      ADMIN_HOSTNAME: "edge-router-staging.acme.workers.dev",
      ANALYTICS_DATASET: "edge_router_requests_staging",
      ...vars,
    },
    routes: [],
    workersDev: true,
    requiredSecrets: ["ADMIN_TOKEN"],
    durableObjects: DURABLE_OBJECTS.map((b) => ({ ...b })),
    analyticsDatasets: [{ binding: "ANALYTICS", dataset: "edge_router_requests_staging" }],
    ...overrides,
  };
}

/** Production on its own zone route, with the admin API on a custom domain. */
function production(overrides: Partial<TargetConfig> = {}, vars: Record<string, unknown> = {}): TargetConfig {
  return staging(
    {
      env: "production",
      name: "edge-router-production",
      routes: [
        { pattern: "www.example.com/*", zone_name: "example.com" },
        { pattern: "router-admin.example.com", custom_domain: true },
      ],
      workersDev: false,
      analyticsDatasets: [{ binding: "ANALYTICS", dataset: "edge_router_requests_production" }],
      ...overrides,
    },
    { ADMIN_HOSTNAME: "router-admin.example.com", ANALYTICS_DATASET: "edge_router_requests_production", ...vars },
  );
}

const listed = (...names: string[]): SecretsListing => ({ state: "listed", names, workerExists: true });
const ALL_SECRETS = listed("ADMIN_TOKEN", "IDENTITY_COOKIE_SECRET");

function run(target: TargetConfig, input: Partial<DeployInput> = {}): Finding[] {
  return checkDeploy({ target, base, secrets: ALL_SECRETS, secretsFile: undefined, ...input });
}
const errors = (findings: Finding[]) => findings.filter((f) => f.level === "error");
const messages = (findings: Finding[], check?: Finding["check"]) =>
  errors(findings)
    .filter((f) => !check || f.check === check)
    .map((f) => f.message);

describe("a complete environment", () => {
  it("deploys staging on workers.dev and production on its routes without a single finding", () => {
    expect(run(staging())).toEqual([]);
    expect(run(production())).toEqual([]);
  });
});

describe("vars", () => {
  it("names each origin that is missing, in the environment's own vars table", () => {
    const found = messages(run(staging({}, { LEGACY_ORIGIN: "", NEW_ORIGIN: "" })), "vars");
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^\[env\.staging\.vars\] LEGACY_ORIGIN is not set/);
    expect(found[1]).toMatch(/^\[env\.staging\.vars\] NEW_ORIGIN is not set/);
  });

  it("refuses every var the router would reject at run time, with the router's own reason", () => {
    const found = messages(run(staging({}, { INITIAL_PERCENT: "ten", CONFIG_REPLICA_REGIONS: "weur,mars", LEGACY_ORIGIN: "ftp://old.example.com" })), "vars");
    expect(found.join("\n")).toMatch(/INITIAL_PERCENT must be a number from 0 to 100/);
    expect(found.join("\n")).toMatch(/CONFIG_REPLICA_REGIONS names unknown location hints \(mars\)/);
    expect(found.join("\n")).toMatch(/LEGACY_ORIGIN/);
    expect(found).toHaveLength(3);
  });

  it("refuses more replicas per region than the router allows", () => {
    expect(messages(run(production({}, { CONFIG_REPLICA_REGIONS: "weur,enam", CONFIG_REPLICAS_PER_REGION: "99" })), "vars")).toEqual([
      expect.stringMatching(/CONFIG_REPLICAS_PER_REGION must be a whole number from 1 to 16/),
    ]);
    expect(run(production({}, { CONFIG_REPLICA_REGIONS: "weur,enam", CONFIG_REPLICAS_PER_REGION: "4" }))).toEqual([]);
  });

  it("refuses a secret written as a plain var, which would be uploaded in clear text", () => {
    const found = messages(run(staging({}, { ADMIN_TOKEN: "s3cret" })), "vars");
    expect(found).toEqual([expect.stringContaining("sets ADMIN_TOKEN, a secret")]);
    expect(found[0]).toContain("npx wrangler secret put ADMIN_TOKEN --env staging");
  });

  it("refuses the measurement-only round-trip delay, and a var that is not a string", () => {
    expect(messages(run(staging({}, { CONFIG_SIMULATED_RTT_MS: "80" })), "vars")).toEqual([expect.stringContaining("CONFIG_SIMULATED_RTT_MS delays every control-plane call")]);
    expect(messages(run(staging({}, { INITIAL_PERCENT: 5 })), "vars")[0]).toContain('INITIAL_PERCENT must be a string (quote it: INITIAL_PERCENT = "5")');
  });

  it("warns about a var the router never reads, and deploys anyway", () => {
    const found = run(staging({}, { LEGACY_ORIGN: "https://typo.example.com" }));
    expect(errors(found)).toEqual([]);
    expect(found).toEqual([expect.objectContaining({ check: "vars", level: "warning", message: expect.stringContaining("LEGACY_ORIGN, which the router does not read") })]);
  });
});

describe("secrets", () => {
  it("names a missing ADMIN_TOKEN with the command that sets it in that environment", () => {
    expect(messages(run(staging(), { secrets: listed("OVERRIDE_SECRET") }), "secrets")).toEqual([
      "ADMIN_TOKEN is not set on edge-router-staging: npx wrangler secret put ADMIN_TOKEN --env staging",
    ]);
  });

  it("requires every secret the environment's [secrets] required lists", () => {
    expect(messages(run(staging({ requiredSecrets: ["ADMIN_TOKEN", "IDENTITY_JWT_SECRET"] }), { secrets: listed("ADMIN_TOKEN") }), "secrets")).toEqual([
      expect.stringMatching(/^IDENTITY_JWT_SECRET is not set/),
    ]);
  });

  it("counts secrets uploaded with --secrets-file as set, and tells a first deploy to bring them that way", () => {
    const fresh: SecretsListing = { state: "listed", names: [], workerExists: false };
    expect(messages(run(staging(), { secrets: fresh }), "secrets")[0]).toMatch(/does not exist yet.*--secrets-file FILE/);
    expect(run(staging(), { secrets: fresh, secretsFile: { path: "staging.env", values: { ADMIN_TOKEN: "a".repeat(64) } } })).toEqual([]);
  });

  it("fails when wrangler cannot list the secrets, quoting wrangler and saying how to check", () => {
    const found = messages(run(staging(), { secrets: { state: "unlisted", why: "Not logged in." } }), "secrets");
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("could not list the secrets of edge-router-staging, so ADMIN_TOKEN could not be checked (wrangler said: Not logged in.)");
    expect(found[0]).toContain("npx wrangler secret list --env staging");
  });

  it("needs no listing when the secrets file brings every required secret", () => {
    const secretsFile = { path: "s.json", values: { ADMIN_TOKEN: "b".repeat(64) } };
    expect(errors(run(staging(), { secrets: { state: "unlisted", why: "offline" }, secretsFile }))).toEqual([]);
  });

  it("says so when the check was skipped on request, without stopping the deploy", () => {
    const found = run(staging(), { secrets: { state: "skipped" } });
    expect(found).toEqual([expect.objectContaining({ check: "secrets", level: "warning", message: expect.stringContaining("secrets not checked") })]);
  });

  it("warns production when anonymous ids hang on ADMIN_TOKEN, and analytics lack their API token", () => {
    const found = run(production({}, { CF_ACCOUNT_ID: "0123abcd" }), { secrets: listed("ADMIN_TOKEN") });
    expect(errors(found)).toEqual([]);
    expect(found.map((f) => f.message)).toEqual([expect.stringContaining("IDENTITY_COOKIE_SECRET is not set"), expect.stringContaining("CF_API_TOKEN is not")]);
  });
});

describe("demo secrets", () => {
  it("refuses to upload the demo token npm start wrote into .dev.vars", () => {
    const devVars = "# Local secrets for wrangler dev\nADMIN_TOKEN=demo-0123456789abcdef0123456789abcdef\nOVERRIDE_SECRET=demo-fedcba9876543210\n";
    const found = messages(run(staging(), { secretsFile: { path: ".dev.vars", values: parseSecretsFile(devVars) } }), "demo-token");
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^\.dev\.vars sets ADMIN_TOKEN to a demo value/);
    expect(found[1]).toMatch(/^\.dev\.vars sets OVERRIDE_SECRET to a demo value/);
  });
});

describe("admin host and prefix", () => {
  it("refuses production without an admin host of its own, and only warns staging", () => {
    expect(messages(run(production({}, { ADMIN_HOSTNAME: "" })), "admin")).toEqual([expect.stringMatching(/^ADMIN_HOSTNAME is not set/)]);
    const inStaging = run(staging({}, { ADMIN_HOSTNAME: "" }));
    expect(errors(inStaging)).toEqual([]);
    expect(inStaging.map((f) => f.check)).toEqual(["admin"]);
  });

  it("refuses an admin host no route or custom domain of the environment serves", () => {
    const target = production({ routes: [{ pattern: "www.example.com/*", zone_name: "example.com" }] });
    expect(messages(run(target), "admin")).toEqual([
      expect.stringMatching(/no route of \[env\.production\] serves router-admin\.example\.com\/__admin .*add \{ pattern = "router-admin\.example\.com", custom_domain = true \}/),
    ]);
  });

  it("accepts an admin host covered by a wildcard zone route", () => {
    expect(run(production({ routes: ["*.example.com/*"] }))).toEqual([]);
  });

  it("refuses an admin prefix the routes leave out, and a malformed one", () => {
    const onlyApp = production({ routes: ["router-admin.example.com/app/*", "www.example.com/*"] });
    expect(messages(run(onlyApp), "admin")[0]).toContain("serves router-admin.example.com/__admin");
    expect(run(onlyApp, {}).length).toBe(1);
    expect(run(production({ routes: ["router-admin.example.com/ops*", "www.example.com/*"] }, { ADMIN_PATH_PREFIX: "/ops/router" }))).toEqual([]);
    expect(messages(run(production({}, { ADMIN_PATH_PREFIX: "ops/" })), "admin")).toEqual([expect.stringContaining("ADMIN_PATH_PREFIX must be a path like /__admin")]);
  });

  it("refuses a workers.dev admin host when workers.dev is off", () => {
    expect(messages(run(staging({ workersDev: false, routes: ["www.example.com/*"] })), "admin")[0]).toContain("add workers_dev = true");
  });
});

describe("routes", () => {
  it("refuses production without routes or a custom domain, whatever else is right", () => {
    const found = run(production({ routes: [] }, { ADMIN_HOSTNAME: "" }));
    expect(messages(found, "routes")).toEqual([expect.stringMatching(/^\[env\.production\] has no routes or custom domain/)]);
  });

  it("refuses staging reachable nowhere: no routes and workers_dev = false", () => {
    expect(messages(run(staging({ workersDev: false }, { ADMIN_HOSTNAME: "" })), "routes")).toEqual([expect.stringContaining("workers_dev = false: nothing would reach it")]);
  });
});

describe("bindings", () => {
  it("refuses an environment without its own Durable Object bindings (they are not inherited)", () => {
    const found = messages(run(staging({ durableObjects: [DURABLE_OBJECTS[0]!] })), "bindings");
    expect(found).toEqual([expect.stringContaining("lacks the Durable Object binding CONFIG_REPLICA")]);
  });

  it("refuses a binding that reaches another Worker's objects, i.e. another environment's rollouts", () => {
    const shared = DURABLE_OBJECTS.map((b) => ({ ...b, script_name: "edge-router-production" }));
    expect(messages(run(staging({ durableObjects: shared })), "bindings")).toHaveLength(2);
    expect(messages(run(staging({ durableObjects: shared })), "bindings")[0]).toContain("points at the Worker edge-router-production");
  });

  it("refuses analytics that would query another dataset than the one written, and warns about a shared one", () => {
    expect(messages(run(staging({}, { ANALYTICS_DATASET: "" })), "bindings")).toEqual([expect.stringContaining('set ANALYTICS_DATASET = "edge_router_requests_staging"')]);
    const shared = run(staging({ analyticsDatasets: [{ binding: "ANALYTICS", dataset: "edge_router_requests" }] }, { ANALYTICS_DATASET: "edge_router_requests" }));
    expect(shared).toEqual([expect.objectContaining({ level: "warning", check: "bindings" })]);
  });
});

describe("the environment and the report", () => {
  it("asks for an environment, and names the declared ones when it is unknown", () => {
    expect(checkEnvironment(undefined, ["staging", "production"])[0]!.message).toMatch(/^name the environment to deploy/);
    expect(checkEnvironment("prod", ["staging", "production"])[0]!.message).toBe("wrangler.toml has no [env.prod] (declared: staging, production)");
    expect(checkEnvironment("staging", ["staging", "production"])).toEqual([]);
  });

  it("lists every check, each failure under its check, and says nothing was deployed", () => {
    const target = staging({}, { NEW_ORIGIN: "" });
    const report = formatReport(target, run(target), false);
    expect(report.split("\n").filter((l) => l.startsWith("  ok"))).toHaveLength(6);
    expect(report).toMatch(/ {2}FAIL {2}vars: \[env\.staging\.vars\] NEW_ORIGIN is not set/);
    expect(report.split("\n").at(-1)).toBe("1 problem: nothing was deployed. Fix it and run again.");
    expect(formatReport(staging(), [], true).split("\n").at(-1)).toMatch(/^Checks passed: wrangler deploy --dry-run/);
  });
});

describe("inputs", () => {
  it("reads a secrets file as dotenv lines or as JSON", () => {
    expect(parseSecretsFile('# c\nADMIN_TOKEN="abc"\nexport OVERRIDE_SECRET=x\n')).toMatchObject({ ADMIN_TOKEN: "abc" });
    expect(parseSecretsFile('{ "ADMIN_TOKEN": "abc" }')).toEqual({ ADMIN_TOKEN: "abc" });
    expect(() => parseSecretsFile('{ "ADMIN_TOKEN": ')).toThrow();
  });

  it("reads a dotenv secrets file with the shell's values over the file's, as wrangler uploads it", () => {
    const shell = { ADMIN_TOKEN: "demo-exported-from-dev-vars" };
    const values = parseSecretsFile("ADMIN_TOKEN=fresh-and-long\n", shell);
    expect(values).toEqual({ ADMIN_TOKEN: "demo-exported-from-dev-vars" });
    expect(messages(run(staging(), { secretsFile: { path: "prod.env", values } }), "demo-token")).toHaveLength(1);
    expect(parseSecretsFile('{ "ADMIN_TOKEN": "from-json" }', shell)).toEqual({ ADMIN_TOKEN: "from-json" });
  });

  it("never reads an unexpected secret listing as 'no secrets'", () => {
    expect(secretNamesFromListing('[{ "name": "ADMIN_TOKEN", "type": "secret_text" }]')).toEqual(["ADMIN_TOKEN"]);
    expect(() => secretNamesFromListing('{ "errors": [] }')).toThrow(/expected a JSON array/);
  });

  it("matches route patterns as Cloudflare does: wildcards at the host's start and the path's end", () => {
    expect(routeCovers("*example.com/*", "example.com", "/__admin/api")).toBe(true);
    expect(routeCovers("*.example.com/*", "example.com", "/__admin/api")).toBe(false);
    expect(routeCovers("example.com/__admin*", "example.com", "/__admin/api")).toBe(true);
    expect(routeCovers("example.com/__admin*", "example.com", "/app")).toBe(false);
    expect(routeCovers({ pattern: "ops.example.com", custom_domain: true }, "OPS.example.com", "/anything")).toBe(true);
    expect(routeCovers("example.com/*", "exampleXcom", "/")).toBe(false);
  });
});
