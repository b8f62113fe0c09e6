/**
 * The example configs of examples/plans/: each `*-external.json` is a valid rollout config, uses
 * what it demonstrates, and together they show every provider and probes gating a stage.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { toFieldIssues } from "../../contracts/field-issues";
import { RolloutConfigSchema, type RolloutConfig } from "../../contracts/rollout";

const ROOT = join(import.meta.dirname, "..", "..");
const PLANS = join(ROOT, "examples", "plans");

/** Every `*-external.json` under examples/plans, wherever the plans' folder puts it. */
function externalExamples(dir = PLANS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return externalExamples(path);
    return entry.name.endsWith("-external.json") ? [path] : [];
  });
}

const files = externalExamples();
const parse = (file: string) => RolloutConfigSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
/** The valid ones (an invalid one fails its own test below). */
const configs: RolloutConfig[] = files.flatMap((file) => {
  const parsed = parse(file);
  return parsed.success ? [parsed.data] : [];
});

describe("examples/plans/**/*-external.json", () => {
  it("exist, at least one per plan with external gates", () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))("%s is a valid rollout config with external checks or probes", (_, file) => {
    const parsed = parse(file);
    expect(parsed.success ? [] : toFieldIssues(parsed.error)).toEqual([]);
    const config = parsed.data!;
    expect((config.guard?.external?.length ?? 0) + (config.probes?.length ?? 0)).toBeGreaterThan(0);
  });

  it("together show every provider, a queue depth, a Redis memory, an error tracker count, and probes required before traffic", () => {
    const checks = configs.flatMap((c) => c.guard?.external ?? []);
    expect(new Set(checks.map((c) => c.provider))).toEqual(new Set(["prometheus", "datadog", "web", "signal"]));
    const queries = checks.map((c) => ("query" in c ? c.query : "url" in c ? c.url : ""));
    expect(queries.some((q) => q.includes("celery_queue_length"))).toBe(true);
    expect(queries.some((q) => /redis[._]mem/.test(q))).toBe(true);
    expect(checks.some((c) => c.provider === "web" && c.url.includes("sentry.io") && c.jsonPointer === "/data/0/count()")).toBe(true);
    expect(configs.some((c) => c.probes?.length && c.stages?.[0]?.requireProbes)).toBe(true);
  });

  it("never holds a credential: every key and secret header names a var", () => {
    for (const check of configs.flatMap((c) => c.guard?.external ?? [])) {
      if (check.provider === "web") for (const value of Object.values(check.headers ?? {})) expect(typeof value).toBe("object");
    }
  });
});
