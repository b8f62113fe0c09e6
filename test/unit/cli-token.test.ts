import { describe, expect, it } from "vitest";
import { parseArgs } from "../../cli/args";
import { createBody } from "../../cli/commands/token";
import { EXIT } from "../../cli/exit";
import { failure } from "../support/cli-failure";

describe("edge-router token", () => {
  it("parses create with its scopes and expiry, and refuses those options on other commands", () => {
    const parsed = parseArgs(["token", "create", "ci-deploy", "--scopes", "read,operate", "--expires=2026-12-31T00:00:00Z"]);
    expect(parsed).toMatchObject({ command: { name: "token" }, args: ["create", "ci-deploy"], values: { scopes: "read,operate", expires: "2026-12-31T00:00:00Z" } });
    expect(failure(() => parseArgs(["status", "--scopes", "read"])).code).toBe(EXIT.usage);
  });

  it("checks the body locally with the router's schema, naming the option at fault", () => {
    expect(createBody("ci-deploy", "read, operate", "2026-12-31T00:00:00Z")).toEqual({ name: "ci-deploy", scopes: ["read", "operate"], expiresAt: "2026-12-31T00:00:00Z" });
    expect(failure(() => createBody("ci", "read,root", undefined))).toMatchObject({ code: EXIT.invalid, message: expect.stringMatching(/^--scopes must be one of/) });
    expect(failure(() => createBody("ci", "read", "tomorrow"))).toMatchObject({ code: EXIT.invalid, message: expect.stringMatching(/^--expires must be an ISO-8601/) });
    expect(failure(() => createBody("CI Deploy", "read", undefined))).toMatchObject({ code: EXIT.invalid, message: expect.stringMatching(/^the name must be a slug/) });
    expect(failure(() => createBody("ci", undefined, undefined))).toMatchObject({ code: EXIT.usage });
  });
});
