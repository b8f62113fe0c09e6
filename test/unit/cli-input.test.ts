import { describe, expect, it } from "vitest";
import { parseArgs, settings } from "../../cli/args";
import { normalizeRouterUrl } from "../../cli/client";
import { plan } from "../../cli/commands/apply";
import { parsePercent } from "../../cli/commands/write";
import { parseConfigText } from "../../cli/config-file";
import { EXIT } from "../../cli/exit";
import { failure } from "../support/cli-failure";
import { RolloutConfigSchema } from "../../contracts/rollout";

const origins = { legacy: "https://old.example", new: "https://new.example" };

describe("command line", () => {
  it("takes options anywhere, --name=value too, and flags over the environment", () => {
    const parsed = parseArgs(["kill", "--reason=5xx spike", "checkout", "--url", "http://x:1", "--json"]);
    expect(parsed.command?.name).toBe("kill");
    expect(parsed.args).toEqual(["checkout"]);
    expect(settings(parsed.values, { EDGE_ROUTER_URL: "http://env:1", EDGE_ROUTER_TOKEN: "t", EDGE_ROUTER_ACTOR: "ci" })).toEqual({
      url: "http://x:1",
      token: "t",
      actor: "ci",
      json: true,
    });
  });

  it("asks for help per command: --help anywhere, or help <command>", () => {
    expect(parseArgs(["set", "--help"])).toMatchObject({ help: true, command: { name: "set" } });
    expect(parseArgs(["help", "apply"])).toMatchObject({ help: true, command: { name: "apply" } });
    expect(parseArgs(["--help"])).toMatchObject({ help: true, command: undefined });
  });

  it("refuses unknown commands and options, options of other commands, and wrong argument counts", () => {
    expect(failure(() => parseArgs(["stat"]))).toEqual({ code: EXIT.usage, message: 'unknown command "stat" (did you mean status?); see edge-router --help' });
    expect(failure(() => parseArgs(["status", "--frob"])).message).toMatch(/unknown option --frob/);
    expect(failure(() => parseArgs(["set", "a", "1", "--dry-run"])).message).toBe("set has no option --dry-run (see edge-router set --help)");
    expect(failure(() => parseArgs(["set", "a"])).message).toMatch(/^usage: edge-router set <id> <percent>/);
    expect(failure(() => parseArgs(["kill", "a", "--reason"])).message).toMatch(/--reason needs a value/);
  });

  it("treats everything after -- as arguments (a user id starting with '-')", () => {
    expect(parseArgs(["bucket", "--", "default", "-weird-user"]).args).toEqual(["default", "-weird-user"]);
  });

  it("checks a percentage with the router's own rule", () => {
    expect(parsePercent("25")).toBe(25);
    expect(parsePercent("0.5%")).toBe(0.5);
    expect(failure(() => parsePercent("101"))).toEqual({ code: EXIT.invalid, message: 'percent must be between 0 and 100, got "101"' });
    expect(failure(() => parsePercent("12.345")).message).toBe('percent must be a multiple of 0.01, got "12.345"');
    expect(failure(() => parsePercent("ten")).message).toBe('percent must be a number from 0 to 100, got "ten"');
  });

  it("accepts the router URL with or without the admin path", () => {
    expect(normalizeRouterUrl("http://127.0.0.1:8787/")).toBe("http://127.0.0.1:8787");
    expect(normalizeRouterUrl("https://r.example/__admin/api/")).toBe("https://r.example");
    expect(failure(() => normalizeRouterUrl("127.0.0.1:8787")).code).toBe(EXIT.usage);
  });
});

describe("config files", () => {
  const one = { id: "checkout", origins, percent: 10 };

  it("accepts one config, an array, or { rollouts: [...] }, with the schema's defaults", () => {
    for (const text of [JSON.stringify(one), JSON.stringify([one]), JSON.stringify({ rollouts: [one] })]) {
      const result = parseConfigText(text);
      expect(result.ok && result.rollouts.map((r) => r.config)).toEqual([RolloutConfigSchema.parse(one)]);
    }
  });

  it("names every invalid field with a JSON pointer into the file and the rollout's id", () => {
    const result = parseConfigText(JSON.stringify({ rollouts: [one, { id: "cart", origins: { legacy: "ftp://x", new: origins.new }, percent: 250, colour: "red" }] }));
    expect(result).toEqual({
      ok: false,
      problems: [
        '/rollouts/1/origins/legacy (rollout "cart"): must use http or https, got ftp',
        '/rollouts/1/percent (rollout "cart"): must be between 0 and 100',
        '/rollouts/1/colour (rollout "cart"): unknown field: colour',
      ],
    });
  });

  it("refuses broken JSON, an empty list, unknown top-level fields and duplicate ids", () => {
    expect(parseConfigText("{ nope")).toMatchObject({ ok: false, problems: [expect.stringMatching(/^not valid JSON/)] });
    expect(parseConfigText("[]")).toEqual({ ok: false, problems: ["the file holds no rollout config"] });
    expect(parseConfigText(JSON.stringify({ rollouts: [one], version: 2 }))).toEqual({ ok: false, problems: ['/version: unknown field next to "rollouts"'] });
    expect(parseConfigText(JSON.stringify([one, one]))).toEqual({ ok: false, problems: ['rollout "checkout" appears more than once'] });
  });
});

describe("apply plan", () => {
  const file = (raw: Record<string, unknown>) => ({ config: RolloutConfigSchema.parse(raw), explicit: new Set(Object.keys(raw)) });
  const live = (raw: Record<string, unknown>, version = 4) => ({ id: String(raw.id), version, config: RolloutConfigSchema.parse(raw) }) as never;

  it("creates what does not exist, with If-Match 0 (must not exist yet)", () => {
    expect(plan(file({ id: "a", origins }), undefined)).toMatchObject({ action: "create", version: 0 });
  });

  it("updates with the version read, and says unchanged when nothing differs", () => {
    expect(plan(file({ id: "a", origins, percent: 25 }), live({ id: "a", origins, percent: 10 }))).toMatchObject({ action: "update", version: 4, changes: ["percent: 10 → 25"] });
    expect(plan(file({ id: "a", origins, percent: 10 }), live({ id: "a", origins, percent: 10 }))).toMatchObject({ action: "unchanged", changes: [] });
  });

  it("never resumes a killed rollout behind the operator's back: the live kill switch stays unless the file sets it", () => {
    const killed = live({ id: "a", origins, percent: 10, killed: true });
    const kept = plan(file({ id: "a", origins, percent: 10 }), killed);
    expect(kept).toMatchObject({ action: "unchanged" });
    expect(kept.config.killed).toBe(true);
    expect(plan(file({ id: "a", origins, percent: 10, killed: false }), killed)).toMatchObject({ action: "update", changes: ["killed: true → false"] });
  });
});
