/** The pure parts of OFREP: reading a request, evaluating on a compiled table, the bulk ETag. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RolloutConfigSchema, type RolloutConfigInput } from "../../contracts/rollout";
import { compileSnapshot } from "../../edge/match";
import { entityTag, noneMatchHits } from "../../edge/ofrep/etag";
import { evaluateAll, evaluateFlag, ofrepIdentity } from "../../edge/ofrep/evaluate";
import { MAX_TARGETING_KEY_LENGTH, parseEvaluationRequest } from "../../edge/ofrep/request";

const table = (rollouts: Array<Partial<RolloutConfigInput> & { id: string }>) =>
  compileSnapshot({
    version: 9,
    globalKill: { killed: false, reason: null, at: null, by: null },
    rollouts: rollouts.map((input) => ({
      config: RolloutConfigSchema.parse({ origins: { legacy: "https://legacy.example", new: "https://new.example" }, ...input }),
      version: 9,
      updatedAt: "2026-01-01T00:00:00.000Z",
      updatedBy: "test",
      killReason: null,
    })),
  });

const trusted = { name: "backend", vouchesForIdentity: true };
const untrusted = { name: "spa", vouchesForIdentity: false };

describe("reading an evaluation request", () => {
  it("takes any non-empty string up to the limit as the user id, exactly as sent, and keeps the rest as attributes", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: MAX_TARGETING_KEY_LENGTH }), fc.dictionary(fc.string(), fc.jsonValue()), (key, extra) => {
        const parsed = parseEvaluationRequest(JSON.stringify({ context: { ...extra, targetingKey: key } }));
        expect(parsed.ok && parsed.context.targetingKey).toBe(key);
        if (parsed.ok) expect(parsed.context.attributes).not.toHaveProperty("targetingKey");
      }),
    );
  });

  it("keeps a __proto__ attribute as plain data: no object's prototype changes", () => {
    const parsed = parseEvaluationRequest('{"context":{"targetingKey":"u","__proto__":{"polluted":true}}}');
    expect(parsed.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (parsed.ok) expect(Object.getPrototypeOf(parsed.context.attributes)).toBe(Object.prototype);
  });
});

describe("evaluation on the compiled table", () => {
  const t = table([
    { id: "checkout", percent: 0, allowlist: { new: ["vip"], legacy: [] } },
    { id: "alpha", percent: 100 },
  ]);

  it("applies allowlists only when the caller vouches for the user id; a claimed id only buckets", () => {
    const context = { targetingKey: "vip", attributes: {} };
    expect(evaluateFlag(t, "checkout", context, trusted)).toMatchObject({ value: true, reason: "TARGETING_MATCH" });
    expect(evaluateFlag(t, "checkout", context, untrusted)).toMatchObject({ value: false, reason: "SPLIT" });
  });

  it("hands the context's attributes to the decision as a plain record, under the caller's name; as claims only from a caller that vouches", () => {
    const attributes = { plan: "pro", country: "CA" };
    const identity = ofrepIdentity({ targetingKey: "u", attributes }, trusted);
    expect(identity).toEqual({ userId: "u", source: "ofrep:backend", verified: true, attributes, claims: attributes });
    expect(ofrepIdentity({ targetingKey: "u", attributes }, untrusted)).toEqual({ userId: "u", source: "ofrep:spa", verified: false, attributes });
  });

  it("lists every rollout in id order in bulk, with the config version as the set's metadata", () => {
    const all = evaluateAll(t, { targetingKey: "u", attributes: {} }, trusted);
    expect(all.flags.map((f) => f.key)).toEqual(["alpha", "checkout"]);
    expect(all.metadata).toEqual({ configVersion: 9 });
  });
});

describe("the bulk ETag", () => {
  it("is equal for equal answers and differs for different ones", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (a, b) => {
        expect((await entityTag(a)) === (await entityTag(b))).toBe(a === b);
      }),
      { numRuns: 200 },
    );
  });

  it("matches If-None-Match weakly, in a list, and for *; nothing else matches", () => {
    expect(noneMatchHits('"abc"', '"abc"')).toBe(true);
    expect(noneMatchHits('W/"abc"', '"abc"')).toBe(true);
    expect(noneMatchHits('"x", "abc"', '"abc"')).toBe(true);
    expect(noneMatchHits("*", '"abc"')).toBe(true);
    expect(noneMatchHits('"abcd"', '"abc"')).toBe(false);
    expect(noneMatchHits("abc", '"abc"')).toBe(false);
    expect(noneMatchHits(null, '"abc"')).toBe(false);
  });
});
