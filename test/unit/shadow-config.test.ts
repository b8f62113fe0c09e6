import { describe, expect, it } from "vitest";
import { toFieldIssues } from "../../contracts/field-issues";
import { bucketOf, thresholdOf } from "../../contracts/hash";
import { ShadowSchema, shadowSalt } from "../../contracts/shadow";
import { compileShadowSample, isShadowed } from "../../edge/shadow/sample";

/** The field issues of a rollout's `shadow` field, as the admin API would report them. */
function issues(shadow: unknown) {
  const result = ShadowSchema.safeParse(shadow);
  expect(result.success, "the schema should refuse this").toBe(false);
  return toFieldIssues(result.error!, "/shadow");
}

describe("shadow settings", () => {
  it("fills in the documented defaults from a percentage alone", () => {
    expect(ShadowSchema.parse({ percent: 5 })).toEqual({
      percent: 5,
      methods: ["GET", "HEAD"],
      compare: { status: true, headers: [], body: "json", ignore: [] },
      maxConcurrent: 10,
      forwardCredentials: false,
    });
  });

  it("refuses POST in methods, naming the method, the field and why", () => {
    const found = issues({ percent: 5, methods: ["GET", "POST"] });
    expect(found).toHaveLength(1);
    expect(found[0]!.pointer).toBe("/shadow/methods/1");
    expect(found[0]!.message).toMatch(/^POST cannot be mirrored/);
    expect(found[0]!.message).toMatch(/safe methods \(GET, HEAD, OPTIONS\)/);
  });

  it("refuses every unsafe method and accepts the safe ones in any case", () => {
    for (const method of ["PUT", "PATCH", "DELETE", "CONNECT", "TRACE", "PROPFIND"]) {
      expect(issues({ percent: 1, methods: [method] })[0]!.message).toContain(method);
    }
    expect(ShadowSchema.parse({ percent: 1, methods: ["get", "options"] }).methods).toEqual(["GET", "OPTIONS"]);
  });

  it("refuses an ignore entry that is not a JSON Pointer, at its index", () => {
    const found = issues({ percent: 5, compare: { ignore: ["/meta/id", "meta/id"] } });
    expect(found.map((i) => i.pointer)).toEqual(["/shadow/compare/ignore/1"]);
    expect(found[0]!.message).toMatch(/JSON Pointer/);
    expect(issues({ percent: 5, compare: { ignore: ["/a~2b"] } })[0]!.pointer).toBe("/shadow/compare/ignore/0");
  });

  it("refuses maxConcurrent 0, fractions and values over 1000", () => {
    expect(issues({ percent: 5, maxConcurrent: 0 })).toEqual([{ pointer: "/shadow/maxConcurrent", message: expect.stringMatching(/at least 1/) }]);
    expect(issues({ percent: 5, maxConcurrent: 2.5 })[0]!.pointer).toBe("/shadow/maxConcurrent");
    expect(issues({ percent: 5, maxConcurrent: 1001 })[0]!.pointer).toBe("/shadow/maxConcurrent");
    expect(ShadowSchema.parse({ percent: 5, maxConcurrent: 1000 }).maxConcurrent).toBe(1000);
  });

  it("takes percentages in steps of 0.01 from 0 to 100 and needs one", () => {
    expect(ShadowSchema.parse({ percent: 0 }).percent).toBe(0);
    expect(ShadowSchema.parse({ percent: 14.29 }).percent).toBe(14.29);
    for (const bad of [0.005, -1, 100.01]) expect(issues({ percent: bad })[0]!.pointer).toBe("/shadow/percent");
    expect(issues({})[0]!.pointer).toBe("/shadow/percent");
  });

  it("stores compared header names lowercase and refuses what is not a header name", () => {
    expect(ShadowSchema.parse({ percent: 1, compare: { headers: [" Content-Type"] } }).compare.headers).toEqual(["content-type"]);
    expect(issues({ percent: 1, compare: { headers: ["ok", "not a header"] } })[0]!.pointer).toBe("/shadow/compare/headers/1");
    expect(issues({ percent: 1, compare: { headers: Array.from({ length: 51 }, (_, i) => `x-h${i}`) } })[0]!.pointer).toBe("/shadow/compare/headers");
  });

  it("refuses unknown fields and unknown body modes", () => {
    expect(issues({ percent: 1, mirror: true })[0]!.message).toBe("unknown field: mirror");
    expect(issues({ percent: 1, compare: { body: "xml" } })[0]!.pointer).toBe("/shadow/compare/body");
  });
});

describe("shadow sample", () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);

  it("mirrors exactly the users whose shadow-salt bucket is below the threshold", () => {
    const sample = compileShadowSample("checkout-v2", 12.5);
    expect(shadowSalt("checkout-v2")).toBe("checkout-v2:shadow");
    for (const id of ids.slice(0, 2000)) {
      expect(isShadowed(sample.state, sample.threshold, id)).toBe(bucketOf("checkout-v2:shadow", id) < thresholdOf(12.5));
    }
  });

  it("mirrors about the configured share of legacy users, even when the rollout's own share is larger", () => {
    // With the rollout's salt, 10% would select only users already in new (50%): none of legacy.
    const inLegacy = ids.filter((id) => bucketOf("checkout-v2", id) >= thresholdOf(50));
    const sample = compileShadowSample("checkout-v2", 10);
    const share = inLegacy.filter((id) => isShadowed(sample.state, sample.threshold, id)).length / inLegacy.length;
    expect(share).toBeGreaterThan(0.085);
    expect(share).toBeLessThan(0.115);
    expect(inLegacy.filter((id) => bucketOf("checkout-v2", id) < thresholdOf(10))).toHaveLength(0);
  });

  it("mirrors nobody at 0% and everybody at 100%", () => {
    const off = compileShadowSample("s", 0);
    const all = compileShadowSample("s", 100);
    expect(ids.some((id) => isShadowed(off.state, off.threshold, id))).toBe(false);
    expect(ids.every((id) => isShadowed(all.state, all.threshold, id))).toBe(true);
  });
});
