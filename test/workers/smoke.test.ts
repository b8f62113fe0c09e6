import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("smoke", () => {
  it("proxies to legacy at 0%", async () => {
    const res = await exports.default.fetch("http://router.test/hello", { headers: { "x-user-id": "u1", accept: "application/json" } });
    expect(res.status).toBe(200);
    const body = await res.json<{ origin: string }>();
    expect(body.origin).toBe("legacy");
    expect(env.TEST_NEW_ORIGIN).toMatch(/^http/);
  });
});
