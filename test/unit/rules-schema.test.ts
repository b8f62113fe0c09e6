/** What an operator may write in `rules` and in a segment, and how a mistake is pointed out. */
import { describe, expect, it } from "vitest";
import { toFieldIssues } from "../../contracts/field-issues";
import { RolloutConfigSchema } from "../../contracts/rollout";
import { MAX_RULES, SegmentBodySchema } from "../../contracts/rules";
import { describeRule } from "../../contracts/rule-text";

const origins = { legacy: "https://legacy.example", new: "https://new.example" };
const rule = (over: Record<string, unknown> = {}) => ({ name: "beta", when: [{ header: "canary", equals: "true" }], variant: "new", ...over });

function issues(rules: unknown): Array<{ pointer: string; message: string }> {
  const parsed = RolloutConfigSchema.safeParse({ id: "r", origins, rules });
  if (parsed.success) throw new Error("expected the rules to be refused");
  return toFieldIssues(parsed.error);
}

describe("rules in a rollout config", () => {
  it("accepts every kind of condition and keeps header names in lower case", () => {
    const parsed = RolloutConfigSchema.parse({
      id: "r",
      origins,
      rules: [
        rule({
          when: [
            { header: "Canary", equals: "true" },
            { cookie: "beta", in: ["1", "yes"] },
            { query: "preview", present: true },
          ],
        }),
        { name: "eu", when: [{ country: ["DE", "AT"] }, { colo: ["FRA"] }], percent: 50 },
        { name: "staff", when: [{ claim: "role", equals: "staff" }, { segment: "internal" }], variant: "legacy" },
      ],
    });
    expect(parsed.rules![0]!.when[0]).toEqual({ header: "canary", equals: "true" });
    expect(parsed.rules).toHaveLength(3);
  });

  it("leaves rules out of a config that has none (no empty list is added)", () => {
    expect(RolloutConfigSchema.parse({ id: "r", origins })).not.toHaveProperty("rules");
  });

  const bad: Array<[string, unknown, string, RegExp]> = [
    ["a condition with two subjects", [rule({ when: [{ header: "a", cookie: "b", equals: "1" }] })], "/rules/0/when/0/cookie", /tests one thing.*header and cookie/],
    ["a condition with no subject", [rule({ when: [{ equals: "1" }] })], "/rules/0/when/0", /names nothing to test/],
    ["a header without an operator", [rule({ when: [{ header: "a" }] })], "/rules/0/when/0", /not how: add "equals", "in", "present"/],
    ["a header with two operators", [rule({ when: [{ header: "a", equals: "1", present: true }] })], "/rules/0/when/0/present", /only one of equals, present/],
    ["a header compared with a number", [rule({ when: [{ header: "a", equals: 1 }] })], "/rules/0/when/0/equals", /must be a string.*"1"/],
    ["a claim with in", [rule({ when: [{ claim: "role", in: ["staff"] }] })], "/rules/0/when/0/in", /does not apply to claim: use equals/],
    ["a country with an operator", [rule({ when: [{ country: ["DE"], equals: "DE" }] })], "/rules/0/when/0/equals", /needs no operator/],
    ["present: false", [rule({ when: [{ header: "a", present: false }] })], "/rules/0/when/0/present", /must be true/],
    ["a lower-case country code", [rule({ when: [{ country: ["de"] }] })], "/rules/0/when/0/country/0", /upper case/],
    ["a colo that is not an IATA code", [rule({ when: [{ colo: ["FRANKFURT"] }] })], "/rules/0/when/0/colo/0", /IATA/],
    ["an empty in list", [rule({ when: [{ header: "a", in: [] }] })], "/rules/0/when/0/in", /at least one value/],
    ["a rule without conditions", [rule({ when: [] })], "/rules/0/when", /at least one condition/],
    ["a rule with variant and percent", [rule({ percent: 10 })], "/rules/0/percent", /either "variant".*or "percent", not both/],
    ["a rule with neither", [{ name: "x", when: [{ header: "a", present: true }] }], "/rules/0", /either "variant"/],
    ["a rule percent finer than 0.01", [rule({ variant: undefined, percent: 0.001 })], "/rules/0/percent", /multiple of 0.01/],
    ["a bad variant", [rule({ variant: "blue" })], "/rules/0/variant", /"new" or "legacy"/],
    ["two rules with one name", [rule(), rule()], "/rules/1/name", /unique/],
    ["a rule name that is not a slug", [rule({ name: "Beta Testers" })], "/rules/0/name", /slug/],
    ["an unknown member in a condition", [rule({ when: [{ header: "a", equals: "1", regex: ".*" }] })], "/rules/0/when/0", /unknown field: regex/],
    ["too many rules", Array.from({ length: MAX_RULES + 1 }, (_, i) => rule({ name: `r${i}` })), "/rules", /at most 50 rules/],
  ];

  it.each(bad)("refuses %s, pointing at it", (_, rules, pointer, message) => {
    const found = issues(rules);
    expect(found.map((i) => i.pointer)).toContain(pointer);
    expect(found.find((i) => i.pointer === pointer)!.message).toMatch(message);
  });
});

describe("a segment's body", () => {
  it("accepts conditions and a description", () => {
    expect(SegmentBodySchema.parse({ description: "beta", when: [{ claim: "beta_tester", equals: true }] })).toEqual({
      description: "beta",
      when: [{ claim: "beta_tester", equals: true }],
    });
  });

  it("refuses a segment that uses another segment, and one without conditions", () => {
    const nested = SegmentBodySchema.safeParse({ when: [{ segment: "other" }] });
    expect(nested.success).toBe(false);
    expect(toFieldIssues(nested.error!)).toEqual([{ pointer: "/when/0/segment", message: expect.stringMatching(/cannot use another segment/) }]);
    expect(SegmentBodySchema.safeParse({ when: [] }).success).toBe(false);
    expect(SegmentBodySchema.safeParse({ when: [{ header: "a", present: true }], rules: [] }).success).toBe(false);
  });
});

describe("rules as text", () => {
  it("says what each rule tests and does, in one line", () => {
    const config = RolloutConfigSchema.parse({
      id: "r",
      origins,
      rules: [
        rule({ when: [{ header: "Canary", equals: "true" }, { country: ["DE", "AT"] }] }),
        { name: "plans", when: [{ cookie: "plan", in: ["pro", "team"] }, { segment: "staff" }], percent: 25 },
        {
          name: "q",
          when: [
            { query: "preview", present: true },
            { claim: "beta", equals: true },
          ],
          variant: "legacy",
        },
      ],
    });
    expect(config.rules!.map(describeRule)).toEqual([
      'beta: header canary = "true" and country in (DE, AT) → new',
      'plans: cookie plan in ("pro", "team") and segment staff → 25% on new',
      "q: query preview present and verified claim beta = true → legacy",
    ]);
  });
});
