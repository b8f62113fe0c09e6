/** QA override tokens: their own secret, off without it, revocable all at once. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAdminApp } from "../../admin/app";
import { signOverride } from "../../edge/override";
import { ADMIN_TOKEN, adminJson, echo, resetDefault } from "./helpers";

const issue = async () => {
  const { status, body } = await adminJson("POST", "/rollouts/default/override-token", { variant: "new", ttlSeconds: 600 });
  expect(status).toBe(200);
  return body.token as string;
};
const withToken = (token: string) => echo("/", { user: "qa-override", headers: { "x-rollout-override": token } });

describe("QA override tokens", () => {
  it("are signed with OVERRIDE_SECRET, not the admin token", async () => {
    await resetDefault({ percent: 0 });
    expect((await withToken(await issue())).origin).toBe("new");
    const now = Math.floor(Date.now() / 1000);
    const withAdminToken = await signOverride(ADMIN_TOKEN, "default", "new", now, now + 600);
    expect((await withToken(withAdminToken)).origin).toBe("legacy");
    const v1 = "v1.default.new.99999999999.AAAA";
    expect((await withToken(v1)).origin).toBe("legacy");
  });

  it("cannot be issued while OVERRIDE_SECRET is unset (501, naming it), and nothing changes", async () => {
    const app = createAdminApp();
    const res = await app.request(
      "/__admin/api/rollouts/default/override-token",
      { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ variant: "new" }) },
      { ...env, OVERRIDE_SECRET: undefined },
    );
    expect(res.status).toBe(501);
    expect(await res.json()).toMatchObject({ type: "urn:edge-router:overrides-not-configured", missing: ["OVERRIDE_SECRET"] });
  });

  it("stop working all at once when an operator revokes every token issued before now; newer ones work", async () => {
    await resetDefault({ percent: 0 });
    const old = await issue();
    expect((await withToken(old)).origin).toBe("new");
    await new Promise((r) => setTimeout(r, 1100)); // tokens carry whole seconds: the revocation must fall after `old` was issued
    const revoked = await adminJson("POST", "/override-tokens/revoke", { reason: "QA laptop stolen" });
    expect(revoked.status).toBe(200);
    expect((await withToken(old)).origin).toBe("legacy");
    await new Promise((r) => setTimeout(r, 1100));
    expect((await withToken(await issue())).origin).toBe("new");
    const audit = await adminJson("GET", "/audit?limit=5");
    expect(audit.body.entries.find((e: { action: string }) => e.action === "revoke-overrides")).toMatchObject({
      reason: "QA laptop stolen",
      after: { revokedBefore: expect.any(String) },
    });
  });

  it("refuses a revocation in the future and a malformed time, changing nothing", async () => {
    const before = (await adminJson("GET", "/rollouts")).body.version;
    const future = await adminJson("POST", "/override-tokens/revoke", { before: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.status).toBe(422);
    expect(future.body.errors).toEqual([{ pointer: "/before", message: expect.stringMatching(/future/) }]);
    expect((await adminJson("POST", "/override-tokens/revoke", { before: "yesterday" })).status).toBe(422);
    expect((await adminJson("GET", "/rollouts")).body.version).toBe(before);
  });
});
