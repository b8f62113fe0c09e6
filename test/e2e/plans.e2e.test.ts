/**
 * The seed plans as configuration (examples/plans/), through the tool an operator would use:
 * `edge-router apply --dry-run` validates each file and shows what it would create, `apply` writes
 * it to a real router (wrangler dev), `status` shows the rules, and a second apply changes nothing.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startRouter, type Router } from "./harness";

const ROOT = join(import.meta.dirname, "..", "..");
const DIR = join(ROOT, "examples", "plans");
const PLANS = readdirSync(DIR)
  .filter((f) => f.startsWith("plan-"))
  .sort();
let router: Router;

const cli = (args: string[]) => runCli(router, args, { timeoutMs: 60_000 });

beforeAll(async () => {
  router = await startRouter();
  await cli(["--help"]); // bundles the tool once
});

afterAll(async () => {
  await router?.stop();
});

describe("the seed plans as configuration", () => {
  it.each(PLANS)("%s: --dry-run validates it and shows every segment and rollout it would create, changing nothing", async (file) => {
    const { rollouts, segments = [] } = JSON.parse(readFileSync(join(DIR, file), "utf8")) as { rollouts: Array<{ id: string }>; segments?: Array<{ name: string }> };
    const dry = await cli(["apply", join(DIR, file), "--dry-run"]);
    expect(dry, dry.stderr).toMatchObject({ code: 0, stderr: "" });
    for (const s of segments) expect(dry.stdout).toContain(`segment ${s.name}: create`);
    for (const r of rollouts) expect(dry.stdout).toMatch(new RegExp(`^${r.id}: create$`, "m"));
    expect(dry.stdout).toContain(`dry run: nothing was changed (${segments.length + rollouts.length} to create, 0 to update, 0 unchanged)`);
    expect((await router.admin("GET", `/rollouts/${rollouts[0]!.id}`)).status).toBe(404);
  });

  it("applies every plan to one router, shows the rules in status, and a second apply changes nothing", async () => {
    for (const file of PLANS) {
      const applied = await cli(["apply", join(DIR, file), "--actor", "release-manager"]);
      expect(applied, applied.stderr).toMatchObject({ code: 0, stderr: "" });
      expect(applied.stdout).toMatch(/applied: \d+ created, 0 updated, 0 unchanged/);
    }
    const status = await cli(["status", "vision-to-code-blue"]);
    expect(status.stdout).toContain('rules       1. canary-header: header canary = "true" → new');
    expect((await cli(["status", "fast-deployment"])).stdout).toContain("            2. beta-testers: segment overskill-beta-testers → new");
    for (const file of PLANS) {
      const again = await cli(["apply", join(DIR, file)]);
      expect(again.stdout).toMatch(/nothing to apply\n$/);
    }
    const segments = (await (await router.admin("GET", "/segments")).json()) as { segments: Array<{ name: string; usedBy: string[] }> };
    expect(segments.segments.find((s) => s.name === "overskill-beta-testers")?.usedBy).toEqual(["fast-deployment"]);
  });

  it("takes the shared webhook settings", async () => {
    const res = await router.admin("PUT", "/notifications", JSON.parse(readFileSync(join(DIR, "notifications.json"), "utf8")));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { webhooks: unknown[] }).webhooks).toHaveLength(3);
  });
});
