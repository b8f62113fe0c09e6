import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ShadowBudget } from "../../edge/shadow/budget";
import { mirrorHeaders } from "../../edge/shadow/headers";

describe("mirrorHeaders", () => {
  const incoming = () => new Headers({ Cookie: "session=abc", Authorization: "Bearer t", "Proxy-Authorization": "Basic x", Accept: "application/json", "X-User-Id": "u1" });

  it("sends no credentials to the new origin unless the rollout allows it", () => {
    const out = mirrorHeaders(incoming(), false);
    for (const name of ["cookie", "authorization", "proxy-authorization"]) expect(out.has(name), name).toBe(false);
    expect(out.get("accept")).toBe("application/json");
    expect(out.get("x-user-id")).toBe("u1");
  });

  it("forwards credentials when forwardCredentials is set", () => {
    const out = mirrorHeaders(incoming(), true);
    expect(out.get("cookie")).toBe("session=abc");
    expect(out.get("authorization")).toBe("Bearer t");
  });

  it("marks every mirror with x-rollout-shadow: 1, whatever the client sent, and leaves the original untouched", () => {
    const original = incoming();
    original.set("x-rollout-shadow", "0");
    for (const forward of [false, true]) expect(mirrorHeaders(original, forward).get("x-rollout-shadow")).toBe("1");
    expect(original.get("x-rollout-shadow")).toBe("0");
    expect(original.get("cookie")).toBe("session=abc");
  });
});

describe("ShadowBudget", () => {
  it("never lets more than max mirrors run at once, nor counts below zero", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.boolean(), { maxLength: 200 }), (max, ops) => {
        const budget = new ShadowBudget(max);
        let model = 0;
        for (const acquire of ops) {
          if (acquire) {
            expect(budget.tryAcquire()).toBe(model < max);
            if (model < max) model++;
          } else {
            budget.release();
            model = Math.max(0, model - 1);
          }
          expect(budget.inFlight).toBe(model);
          expect(budget.inFlight).toBeLessThanOrEqual(max);
          expect(budget.inFlight).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it("frees a slot on release", () => {
    const budget = new ShadowBudget(1);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
    budget.release();
    expect(budget.tryAcquire()).toBe(true);
  });
});
