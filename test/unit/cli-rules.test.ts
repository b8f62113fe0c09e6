/** Targeting rules and segments in the CLI: status lines, apply's diff and plan, config files, bucket. */
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../cli/args";
import { explainBucket, formatBucket } from "../../cli/bucket";
import { missingSegments, planSegment } from "../../cli/commands/apply";
import { bucketRequest } from "../../cli/commands/bucket";
import { parseConfigText } from "../../cli/config-file";
import { describeConfig, diffConfig } from "../../cli/diff";
import { NO_COLORS } from "../../cli/format";
import { type CliError, EXIT } from "../../cli/exit";
import { bucketOf } from "../../contracts/hash";
import { RolloutConfigSchema, type ConfigSnapshot } from "../../contracts/rollout";

const origins = { legacy: "https://old.example", new: "https://new.example" };
const config = (over: Record<string, unknown> = {}) => RolloutConfigSchema.parse({ id: "r", origins, ...over });
const canary = { name: "canary", when: [{ header: "canary", equals: "true" }], variant: "new" };
const beta = { name: "beta", when: [{ segment: "beta-testers" }], percent: 50 };

describe("rules in status and apply's diff", () => {
  it("lists each rule in order under the rollout's config", () => {
    const lines = describeConfig(config({ rules: [canary, beta] }));
    expect(lines).toContain('rules       1. canary: header canary = "true" → new');
    expect(lines).toContain("            2. beta: segment beta-testers → 50% on new");
  });

  it("diffs rules by name: added, removed, changed, reordered", () => {
    expect(diffConfig(config(), config({ rules: [canary] }))).toEqual(['rules: +canary: header canary = "true" → new']);
    expect(diffConfig(config({ rules: [canary, beta] }), config({ rules: [canary] }))).toEqual(["rules: -beta: segment beta-testers → 50% on new"]);
    expect(diffConfig(config({ rules: [beta] }), config({ rules: [{ ...beta, percent: 75 }] }))).toEqual([
      "rules.beta: beta: segment beta-testers → 50% on new → beta: segment beta-testers → 75% on new",
    ]);
    expect(diffConfig(config({ rules: [canary, beta] }), config({ rules: [beta, canary] }))).toEqual(["rules: order canary, beta → beta, canary (the first that matches decides)"]);
  });
});

describe("segments in config files", () => {
  const rollout = { id: "r", origins, rules: [beta] };
  const segment = { name: "beta-testers", description: "beta", when: [{ claim: "beta_tester", equals: true }] };

  it("reads { segments, rollouts }, and a file of segments alone", () => {
    const both = parseConfigText(JSON.stringify({ segments: [segment], rollouts: [rollout] }));
    expect(both).toMatchObject({ ok: true, segments: [segment], rollouts: [{ config: { id: "r" } }] });
    expect(parseConfigText(JSON.stringify({ segments: [segment] }))).toMatchObject({ ok: true, segments: [segment], rollouts: [] });
  });

  it("names every bad segment with a pointer, and refuses one without a name or twice the same", () => {
    const result = parseConfigText(JSON.stringify({ segments: [{ when: [] }, { ...segment, when: [{ segment: "x" }] }, segment, segment], rollouts: [rollout] }));
    expect(result).toEqual({
      ok: false,
      problems: [
        "/segments/0/name: is missing: every segment in a file needs its name",
        '/segments/1/when/0/segment (segment "beta-testers"): a segment cannot use another segment: list that segment\'s conditions here instead',
        'segment "beta-testers" appears more than once',
      ],
    });
  });

  it("plans a segment's create, update and no-change, and finds rules naming a segment nobody holds", () => {
    const live = { ...segment, version: 4, updatedAt: "", updatedBy: "admin", usedBy: [] };
    expect(planSegment(segment, undefined)).toMatchObject({ action: "create", version: 0, changes: ["when        verified claim beta_tester = true", "about       beta"] });
    expect(planSegment(segment, live)).toMatchObject({ action: "unchanged", version: 4, changes: [] });
    expect(planSegment({ ...segment, when: [{ country: ["DE"] }] }, live)).toMatchObject({
      action: "update",
      changes: ["when: verified claim beta_tester = true → country in (DE)"],
    });
    const parsed = parseConfigText(JSON.stringify({ rollouts: [rollout] }));
    if (!parsed.ok) throw new Error("expected a valid file");
    expect(missingSegments(parsed.rollouts, new Set(["beta-testers"]))).toEqual([]);
    expect(missingSegments(parsed.rollouts, new Set())).toEqual([
      'rollout "r" /rules/0/when/0/segment: names the segment "beta-testers", which is neither in the file nor on the router',
    ]);
  });
});

describe("bucket with rules", () => {
  const snapshot = (over: Record<string, unknown>): ConfigSnapshot => ({
    version: 3,
    globalKill: { killed: false, reason: null, at: null, by: null },
    rollouts: [{ config: config(over), version: 3, updatedAt: "", updatedBy: "", killReason: null }],
  });

  it("explains a decision a header rule made, and says what the bucket alone would give", () => {
    const e = explainBucket(snapshot({ percent: 0, rules: [canary] }), "r", "alice", { headers: new Map([["canary", "true"]]), country: null })!;
    expect(e).toMatchObject({ variant: "new", reason: "rule:canary", rule: 'canary: header canary = "true" → new', bucketVariant: "legacy" });
    expect(formatBucket(e, NO_COLORS)).toMatch(/why {7}targeting rule canary: header canary = "true" → new \(without it: legacy, bucket \d+ ≥ threshold 0\)/);
  });

  it("compares the bucket with a percentage rule's own threshold", () => {
    const rule = { name: "dach-half", when: [{ country: ["DE"] }], percent: 50 };
    const e = explainBucket(snapshot({ percent: 0, rules: [rule] }), "r", "alice", { headers: new Map(), country: "DE" })!;
    expect(e).toMatchObject({ reason: "rule:dach-half", ruleThreshold: 5000, variant: bucketOf("r", "alice") < 5000 ? "new" : "legacy" });
  });

  it("says when no rule matched what it was given", () => {
    const e = explainBucket(snapshot({ percent: 10, rules: [canary] }), "r", "alice")!;
    expect(e.reason).toBe("bucket");
    expect(formatBucket(e, NO_COLORS)).toMatch(/none of its 1 targeting rules matched \(they saw only --header and --country\)/);
  });

  it("reads --header (repeatable) and --country, refusing malformed ones", () => {
    const parsed = parseArgs(["bucket", "r", "alice", "--header", "Canary=true", "--header=x-plan=pro=max", "--country", "DE"]);
    expect(bucketRequest(parsed.values)).toEqual({
      headers: new Map([
        ["canary", "true"],
        ["x-plan", "pro=max"],
      ]),
      country: "DE",
    });
    const failure = (values: Record<string, string>) => {
      try {
        bucketRequest(values);
      } catch (error) {
        return error as CliError;
      }
      throw new Error("expected a failure");
    };
    expect(failure({ header: "canary" }).code).toBe(EXIT.invalid);
    expect(failure({ header: "bad name=1" }).code).toBe(EXIT.invalid);
    expect(failure({ country: "de" }).code).toBe(EXIT.invalid);
  });
});
