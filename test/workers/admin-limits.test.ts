/** Configs as large as the API accepts must still be killable: the audit row stays small. */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { admin, adminJson } from "./helpers";

it("kills, patches and audits a rollout whose config is near the 1 MiB body limit", async () => {
  const ids = (prefix: string) => Array.from({ length: 3_900 }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}-${"x".repeat(240)}`);
  const body = { match: { pathPrefixes: ["/huge"] }, origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN }, allowlist: { new: ids("n"), legacy: [] } };
  expect(JSON.stringify(body).length).toBeGreaterThan(950_000);
  expect((await adminJson("PUT", "/rollouts/huge", body)).status).toBe(201);
  const killed = await adminJson("POST", "/rollouts/huge/kill", { reason: "incident 12" });
  expect(killed.status).toBe(200);
  expect(killed.body.rollout).toMatchObject({ status: "killed", killReason: "incident 12" });
  expect((await adminJson("PATCH", "/rollouts/huge", { allowlist: { new: ids("m") } })).status).toBe(200);
  const audit = await adminJson("GET", "/audit?rollout=huge&limit=10");
  expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual(["patch", "kill", "create"]);
  expect(JSON.stringify(audit.body).length).toBeLessThan(200_000);
  expect((await admin("DELETE", "/rollouts/huge")).status).toBe(200);
});
