import { describe, expect, it } from "vitest";
import { isAdminRequest, readEnvConfig } from "../../contracts/vars";

describe("vars", () => {
  it("seeds a default rollout matching everything from LEGACY_ORIGIN, NEW_ORIGIN and INITIAL_PERCENT", () => {
    const env = readEnvConfig({ LEGACY_ORIGIN: "https://old.example", NEW_ORIGIN: "https://new.example/base", INITIAL_PERCENT: "12.5" });
    expect(env.problems).toEqual([]);
    expect(env.seed).toMatchObject({
      id: "default",
      percent: 12.5,
      match: { hosts: [], pathPrefixes: ["/"] },
      origins: { legacy: "https://old.example", new: "https://new.example/base" },
    });
    expect(env.legacyOrigin?.href).toBe("https://old.example/");
    expect(env.freshnessMs).toBe(250);
  });

  it("logs every request unless REQUEST_LOG_SAMPLE says otherwise, and refuses a share outside 0 to 1", () => {
    const origins = { LEGACY_ORIGIN: "https://a.example", NEW_ORIGIN: "https://b.example" };
    expect(readEnvConfig(origins).requestLogSample).toBe(1);
    expect(readEnvConfig({ ...origins, REQUEST_LOG_SAMPLE: "0.01" }).requestLogSample).toBe(0.01);
    expect(readEnvConfig({ ...origins, REQUEST_LOG_SAMPLE: "0" }).requestLogSample).toBe(0);
    for (const bad of ["1.5", "-0.1", "10%", "all"]) {
      const env = readEnvConfig({ ...origins, REQUEST_LOG_SAMPLE: bad });
      expect(env.requestLogSample, bad).toBe(1);
      expect(env.problems, bad).toEqual([{ variable: "REQUEST_LOG_SAMPLE", message: expect.stringMatching(/from 0 to 1.*logging every request/) }]);
      expect(env.seed, bad).toBeDefined();
    }
  });

  it("defaults INITIAL_PERCENT to 0", () => {
    expect(readEnvConfig({ LEGACY_ORIGIN: "http://a.example", NEW_ORIGIN: "http://b.example" }).seed?.percent).toBe(0);
  });

  it("names every missing or invalid var and seeds nothing", () => {
    const env = readEnvConfig({ NEW_ORIGIN: "not a url", INITIAL_PERCENT: "150" });
    expect(env.seed).toBeUndefined();
    expect(env.problems.map((p) => p.variable)).toEqual(["LEGACY_ORIGIN", "NEW_ORIGIN", "INITIAL_PERCENT"]);
    expect(env.problems[0]!.message).toMatch(/LEGACY_ORIGIN is not set/);
    expect(env.problems[1]!.message).toMatch(/NEW_ORIGIN must be an absolute http or https URL/);
    expect(env.problems[2]!.message).toMatch(/INITIAL_PERCENT must be a number from 0 to 100/);
  });

  it("keeps a valid LEGACY_ORIGIN as the fail-safe destination even when NEW_ORIGIN is broken", () => {
    const env = readEnvConfig({ LEGACY_ORIGIN: "https://old.example", NEW_ORIGIN: "mailto:x@y" });
    expect(env.seed).toBeUndefined();
    expect(env.legacyOrigin?.host).toBe("old.example");
  });

  it("refuses a freshness window that would break the one-second kill bound", () => {
    const env = readEnvConfig({ LEGACY_ORIGIN: "https://a.example", NEW_ORIGIN: "https://b.example", CONFIG_FRESHNESS_MS: "5000" });
    expect(env.freshnessMs).toBe(250);
    expect(env.problems[0]!.variable).toBe("CONFIG_FRESHNESS_MS");
  });
});

describe("admin path prefix", () => {
  it("defaults to /__admin and accepts another path", () => {
    expect(readEnvConfig({}).adminPrefix).toBe("/__admin");
    expect(readEnvConfig({ ADMIN_PATH_PREFIX: "/ops/router" }).adminPrefix).toBe("/ops/router");
  });

  it("refuses a prefix that is not a clean path, names it, and keeps the default", () => {
    const env = readEnvConfig({ ADMIN_PATH_PREFIX: "/" });
    expect(env.adminPrefix).toBe("/__admin");
    expect(env.problems).toContainEqual({ variable: "ADMIN_PATH_PREFIX", message: expect.stringMatching(/must be a path like \/__admin/) });
  });
});

describe("admin hostname", () => {
  const at = (href: string) => new URL(href);

  it("serves the admin prefix on every host when unset", () => {
    const env = readEnvConfig({});
    expect(isAdminRequest(env, at("https://shop.example/__admin/"))).toBe(true);
    expect(isAdminRequest(env, at("https://shop.example/__adminx"))).toBe(false);
  });

  it("serves it only on ADMIN_HOSTNAME when set; elsewhere the prefix is plain traffic", () => {
    const env = readEnvConfig({ ADMIN_HOSTNAME: "Router.Example.workers.dev" });
    expect(env.adminHostname).toBe("router.example.workers.dev");
    expect(isAdminRequest(env, at("https://router.example.workers.dev/__admin/api/rollouts"))).toBe(true);
    expect(isAdminRequest(env, at("https://shop.example/__admin/api/rollouts"))).toBe(false);
    expect(isAdminRequest(env, at("https://router.example.workers.dev/checkout"))).toBe(false);
  });

  it("closes the admin API everywhere when ADMIN_HOSTNAME is malformed, and names it", () => {
    const env = readEnvConfig({ ADMIN_HOSTNAME: "https://admin.example:8443" });
    expect(env.problems).toContainEqual({ variable: "ADMIN_HOSTNAME", message: expect.stringMatching(/hostname without scheme or port/) });
    for (const host of ["admin.example", "shop.example", "localhost"]) expect(isAdminRequest(env, at(`https://${host}/__admin/`))).toBe(false);
  });
});
