/** The one JSON line per proxied request that `wrangler tail` shows (edge/record.ts `logText`). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Decision } from "../../contracts/decision";
import type { RequestRecord } from "../../contracts/metrics-sink";
import { logText } from "../../edge/record";

const decision: Decision = {
  rolloutId: "checkout",
  variant: "new",
  reason: "bucket",
  bucket: 698,
  threshold: 1000,
  identity: { userId: "user-42", source: "header:x-user-id", verified: false },
};
const record: RequestRecord = {
  decision,
  method: "GET",
  host: "shop.example",
  path: "/checkout/pay",
  pathPrefix: "/checkout",
  status: 200,
  latencyMs: 12.5,
  colo: "FRA",
  country: "DE",
  responseBytes: 1024,
  configVersion: 7,
  stale: false,
  retriedOnLegacy: false,
};

describe("the request log line", () => {
  it("is one JSON object with the decision and the request, and never the user's id", () => {
    const line = logText(record);
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({
      event: "proxy",
      rollout: "checkout",
      variant: "new",
      reason: "bucket",
      bucket: 698,
      threshold: 1000,
      user: "header:x-user-id",
      method: "GET",
      host: "shop.example",
      path: "/checkout/pay",
      status: 200,
      latencyMs: 12.5,
      colo: "FRA",
      configVersion: 7,
    });
    expect(line).not.toContain("user-42");
  });

  it("adds detail, stale, retriedOnLegacy and error only when they apply, and writes nulls as null", () => {
    const parsed = JSON.parse(
      logText({
        ...record,
        decision: { ...decision, rolloutId: null, reason: "killed", detail: "global", bucket: null, threshold: null, identity: null },
        configVersion: null,
        stale: true,
        retriedOnLegacy: true,
        error: "new origin unreachable: connection refused",
      }),
    );
    expect(parsed).toMatchObject({ rollout: null, detail: "global", bucket: null, threshold: null, user: null, configVersion: null, stale: true, retriedOnLegacy: true });
    expect(parsed.error).toBe("new origin unreachable: connection refused");
  });

  it("stays valid JSON whatever a client puts in the path, the host or the method", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ maxLength: 20 }), fc.string(), (path, host, method, error) => {
        const parsed = JSON.parse(logText({ ...record, path, host, method, error: error || undefined }));
        expect(parsed).toMatchObject({ path, host, method });
        if (error) expect(parsed.error).toBe(error);
      }),
    );
  });
});
