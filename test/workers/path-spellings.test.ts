/** A path-scoped rollout cannot be escaped by spelling its path differently. */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, expect, it } from "vitest";
import { adminJson, echo, resetDefault } from "./helpers";

beforeAll(async () => {
  await resetDefault({ percent: 100 });
  const created = await adminJson("PUT", "/rollouts/checkout", {
    match: { pathPrefixes: ["/checkout"] },
    origins: { legacy: env.TEST_LEGACY_ORIGIN, new: env.TEST_NEW_ORIGIN },
    percent: 100,
  });
  expect([200, 201]).toContain(created.status);
  expect((await adminJson("POST", "/rollouts/checkout/kill", { reason: "checkout broken on new" })).status).toBe(200);
});

afterAll(async () => {
  await adminJson("POST", "/rollouts/checkout/resume");
  await adminJson("DELETE", "/rollouts/checkout");
});

it.each(["/checkout/pay", "//checkout/pay", "/%63heckout/pay", "/checkout;x=1/pay", "/a/../checkout/pay", "/checkout%2Fpay", "/./checkout/pay"])(
  "routes %s by the killed checkout rollout, and forwards the path as sent",
  async (path) => {
    const got = await echo(path, { user: "escaper" });
    expect(got.origin).toBe("legacy");
    expect(got.headers["x-rollout-id"]).toBe("checkout");
    expect(got.path).toBe(new URL(`http://router.test${path}`).pathname);
  },
);

it("still sends paths outside the prefix to the other rollout", async () => {
  const got = await echo("/checkoutx/pay", { user: "escaper" });
  expect(got.headers["x-rollout-id"]).toBe("default");
  expect(got.origin).toBe("new");
});
