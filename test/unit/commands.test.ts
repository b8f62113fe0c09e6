import { describe, expect, it } from "vitest";
import { applyCommand, EMPTY_STATE, mergePatch, type Command } from "../../control/policy/commands";
import { err, ok, origins, run, seedDefault } from "../support/commands";

const seeded = () => seedDefault({ percent: 10 });

describe("rollout config validation", () => {
  const bad: Array<[string, unknown, string, RegExp]> = [
    ["an unknown field", { origins, percnt: 5 }, "", /unknown field: percnt/],
    ["a percentage above 100", { origins, percent: 100.5 }, "/percent", /between 0 and 100/],
    ["a negative percentage", { origins, percent: -1 }, "/percent", /between 0 and 100/],
    ["a percentage finer than 0.01", { origins, percent: 12.345 }, "/percent", /multiple of 0.01/],
    ["a percentage as a string", { origins, percent: "25" }, "/percent", /expected number/],
    ["a relative origin URL", { origins: { ...origins, new: "/new" } }, "/origins/new", /absolute http or https URL/],
    ["an ftp origin", { origins: { ...origins, legacy: "ftp://x.example" } }, "/origins/legacy", /http or https/],
    ["an origin with a query", { origins: { ...origins, new: "https://n.example/?a=1" } }, "/origins/new", /query/],
    ["a missing origin", { origins: { legacy: origins.legacy } }, "/origins/new", /expected string/],
    ["a path prefix without a slash", { origins, match: { pathPrefixes: ["api"] } }, "/match/pathPrefixes/0", /start with '\/'/],
    ["an empty prefix list", { origins, match: { pathPrefixes: [] } }, "/match/pathPrefixes", /./],
    ["a host with a port", { origins, match: { hosts: ["a.example:8080"] } }, "/match/hosts/0", /hostname/],
    ["a header name with a space", { origins, stickiness: [{ header: "x user" }] }, "/stickiness/0/header", /HTTP header name/],
    ["a stickiness source of both kinds", { origins, stickiness: [{ header: "x-a", cookie: "b" }] }, "/stickiness/0", /./],
    ["killed as a string", { origins, killed: "yes" }, "/killed", /expected boolean/],
    ["an empty allowlisted id", { origins, allowlist: { new: [""] } }, "/allowlist/new/0", /./],
  ];

  it.each(bad)("rejects %s with a pointer to the field and changes nothing", (_name, body, pointer, message) => {
    const before = seeded();
    const error = err(run(before, { type: "put", id: "r1", body }));
    expect(error.kind).toBe("invalid");
    if (error.kind !== "invalid") return;
    const issue = error.issues.find((i) => i.pointer === pointer);
    expect(issue, JSON.stringify(error.issues)).toBeDefined();
    expect(issue!.message).toMatch(message);
    expect(before.rollouts.has("r1")).toBe(false);
  });

  it("stores header names lowercase, as HTTP compares them", () => {
    const created = ok(run(EMPTY_STATE, { type: "put", id: "r1", body: { origins, stickiness: [{ header: "X-Account-Id" }] } }));
    expect(created.rollout!.config.stickiness).toEqual([{ header: "x-account-id" }]);
  });

  it("rejects an invalid id in the URL", () => {
    expect(err(run(seeded(), { type: "put", id: "Bad_Id", body: { origins } }))).toMatchObject({ kind: "invalid" });
  });

  it("rejects a body whose id differs from the URL's", () => {
    const error = err(run(seeded(), { type: "put", id: "r1", body: { id: "r2", origins } }));
    expect(error).toMatchObject({ kind: "invalid", issues: [{ pointer: "/id" }] });
  });

  it("fills defaults: percent 0, match everything, x-user-id stickiness, not killed", () => {
    const created = ok(run(EMPTY_STATE, { type: "put", id: "r1", body: { origins } }));
    expect(created.rollout!.config).toMatchObject({
      percent: 0,
      match: { hosts: [], pathPrefixes: ["/"] },
      stickiness: [{ header: "x-user-id" }],
      killed: false,
      allowlist: { new: [], legacy: [] },
    });
  });
});

describe("writes and versions", () => {
  it("creates, then bumps the version on every change", () => {
    const s0 = seeded();
    expect(s0.version).toBe(1);
    const a = ok(run(s0, { type: "put", id: "r1", body: { origins, match: { pathPrefixes: ["/r1"] } } }));
    expect(a.changed && a.audit.action).toBe("create");
    expect(a.state.version).toBe(2);
    expect(a.rollout!.version).toBe(2);
    const b = ok(run(a.state, { type: "patch", id: "r1", patch: { percent: 25 } }));
    expect(b.state.version).toBe(3);
    expect(b.rollout!.config.percent).toBe(25);
    // Other fields untouched by the merge patch.
    expect(b.rollout!.config.match.pathPrefixes).toEqual(["/r1"]);
  });

  it("does not bump the version for a write that changes nothing", () => {
    const s = seeded();
    const same = ok(run(s, { type: "patch", id: "default", patch: { percent: 10 } }));
    expect(same.changed).toBe(false);
    expect(same.state.version).toBe(s.version);
  });

  it("answers a stale If-Match with the current version and changes nothing", () => {
    const s = ok(run(seeded(), { type: "patch", id: "default", patch: { percent: 20 } })).state;
    const error = err(run(s, { type: "patch", id: "default", patch: { percent: 30 }, ifMatch: 1 }));
    expect(error).toEqual({ kind: "version-mismatch", expected: 1, current: 2 });
    expect(s.rollouts.get("default")!.config.percent).toBe(20);
  });

  it("accepts a matching If-Match", () => {
    const s = seeded();
    const next = ok(run(s, { type: "patch", id: "default", patch: { percent: 30 }, ifMatch: 1 }));
    expect(next.rollout!.config.percent).toBe(30);
  });

  it("refuses a PUT create with If-Match for a rollout that does not exist yet (version 0 only)", () => {
    expect(err(run(seeded(), { type: "put", id: "nope", body: { origins }, ifMatch: 3 }))).toMatchObject({ kind: "version-mismatch", current: 0 });
  });

  it("treats If-Match 0 on a PUT as create-only", () => {
    const created = ok(run(seeded(), { type: "put", id: "fresh", body: { origins, match: { pathPrefixes: ["/fresh"] } }, ifMatch: 0 }));
    expect(created.rollout!.config.id).toBe("fresh");
    expect(err(run(created.state, { type: "put", id: "fresh", body: { origins, match: { pathPrefixes: ["/fresh"] } }, ifMatch: 0 }))).toMatchObject({
      kind: "version-mismatch",
      expected: 0,
    });
  });

  it("answers not-found for patch, delete, kill and resume of an unknown id", () => {
    for (const command of [
      { type: "patch", id: "ghost", patch: {} },
      { type: "delete", id: "ghost" },
      { type: "kill", id: "ghost", body: {} },
      { type: "resume", id: "ghost", body: {} },
    ] as Command[]) {
      expect(err(run(seeded(), command))).toEqual({ kind: "not-found", rolloutId: "ghost" });
    }
  });

  it("refuses two rollouts on the same host and path prefix", () => {
    const error = err(run(seeded(), { type: "put", id: "dup", body: { origins, match: { pathPrefixes: ["/"] } } }));
    expect(error).toMatchObject({ kind: "conflict" });
    if (error.kind === "conflict") expect(error.detail).toMatch(/"default" already matches/);
  });

  it("refuses to change an id by PATCH", () => {
    expect(err(run(seeded(), { type: "patch", id: "default", patch: { id: "other" } }))).toMatchObject({ kind: "invalid", issues: [{ pointer: "/id" }] });
  });

  it("validates the merged result of a PATCH", () => {
    const error = err(run(seeded(), { type: "patch", id: "default", patch: { percent: 101 } }));
    expect(error).toMatchObject({ kind: "invalid", issues: [{ pointer: "/percent" }] });
  });

  it("deletes with an audit entry holding the old config", () => {
    const d = ok(run(seeded(), { type: "delete", id: "default" }));
    expect(d.state.rollouts.size).toBe(0);
    expect(d.changed && d.audit).toMatchObject({ action: "delete", rolloutId: "default", after: null, before: { id: "default" } });
  });
});

describe("kill switch commands", () => {
  it("kills with a reason, audited, and resume clears it", () => {
    const killed = ok(run(seeded(), { type: "kill", id: "default", body: { reason: "5xx spike" } }));
    expect(killed.rollout).toMatchObject({ killReason: "5xx spike", config: { killed: true } });
    expect(killed.changed && killed.audit).toMatchObject({ action: "kill", reason: "5xx spike", actor: "ops", version: 2 });
    const resumed = ok(run(killed.state, { type: "resume", id: "default", body: {} }));
    expect(resumed.rollout).toMatchObject({ killReason: null, config: { killed: false } });
  });

  it("treats killing a killed rollout as a no-op that keeps the first reason", () => {
    const once = ok(run(seeded(), { type: "kill", id: "default", body: { reason: "first" } }));
    const twice = ok(run(once.state, { type: "kill", id: "default", body: { reason: "second" } }));
    expect(twice.changed).toBe(false);
    expect(twice.rollout!.killReason).toBe("first");
  });

  it("rejects unknown fields in a kill body", () => {
    expect(err(run(seeded(), { type: "kill", id: "default", body: { reson: "typo" } }))).toMatchObject({ kind: "invalid" });
  });

  it("global kill and resume flip one flag above every rollout", () => {
    const killed = ok(run(seeded(), { type: "kill-all", body: { reason: "incident 42" } }));
    expect(killed.state.globalKill).toMatchObject({ killed: true, reason: "incident 42", by: "ops" });
    expect(killed.state.rollouts.get("default")!.config.killed).toBe(false);
    const resumed = ok(run(killed.state, { type: "resume-all", body: {} }));
    expect(resumed.state.globalKill.killed).toBe(false);
    expect(resumed.state.version).toBe(3);
  });
});

describe("JSON merge patch (RFC 7396)", () => {
  it("merges objects, replaces arrays, and removes members set to null", () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { b: { c: null, x: 1 }, e: [2], f: 4 })).toEqual({ a: 1, b: { d: 3, x: 1 }, e: [2], f: 4 });
  });
});

describe("cross-field rules", () => {
  it("refuses a guard that pauses on a rollout without stages, naming stages, and changes nothing", () => {
    const before = seeded();
    const error = err(run(before, { type: "put", id: "r1", body: { origins, guard: { maxErrorRate: 0.05, action: "pause" } } }));
    expect(error).toMatchObject({ kind: "invalid", issues: [{ pointer: "/guard/action", message: expect.stringMatching(/no stages/) }] });
    expect(before.rollouts.has("r1")).toBe(false);
    const patched = err(run(before, { type: "patch", id: "default", patch: { guard: { action: "pause" } } }));
    expect(patched).toMatchObject({ kind: "invalid", issues: [{ pointer: "/guard/action" }] });
    expect(
      ok(run(before, { type: "put", id: "r2", body: { origins, match: { pathPrefixes: ["/r2"] }, guard: { action: "pause" }, stages: [{ percent: 10, holdSeconds: 60 }] } }))
        .changed,
    ).toBe(true);
  });
});

describe("kill state", () => {
  it("keeps a kill through a replace that leaves `killed` out, and says so", () => {
    const killed = ok(run(seeded(), { type: "kill", id: "default", body: { reason: "5xx" } })).state;
    const replaced = ok(run(killed, { type: "put", id: "default", body: { origins, percent: 100 } }));
    expect(replaced.rollout!.config).toMatchObject({ killed: true, percent: 100 });
    expect(replaced.rollout!.killReason).toBe("5xx");
    expect(replaced.notices).toEqual([expect.stringMatching(/stays killed/)]);
    const patched = ok(run(killed, { type: "patch", id: "default", patch: { killed: false } }));
    expect(patched.rollout!.config.killed).toBe(true);
    expect(ok(run(killed, { type: "resume", id: "default", body: {} })).rollout!.config.killed).toBe(false);
  });

  it("does not kill through a replace either: only POST …/kill does, with a reason", () => {
    const replaced = ok(run(seeded(), { type: "put", id: "default", body: { origins, killed: true } }));
    expect(replaced.rollout!.config.killed).toBe(false);
    expect(replaced.notices).toEqual([expect.stringMatching(/POST …\/kill/)]);
  });
});

describe("bounded audit rows", () => {
  it("keeps every audit row small, whatever the size of the config, so a kill of any valid config saves", () => {
    const ids = (prefix: string) => Array.from({ length: 3_900 }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}-${"x".repeat(240)}`);
    const big = { origins, match: { pathPrefixes: ["/big"] }, allowlist: { new: ids("n"), legacy: [] } };
    expect(JSON.stringify(big).length).toBeGreaterThan(950_000);
    const created = ok(run(seeded(), { type: "put", id: "big", body: big }));
    const killed = ok(run(created.state, { type: "kill", id: "big", body: { reason: "incident" } }));
    const changed = ok(run(killed.state, { type: "patch", id: "big", patch: { allowlist: { new: ids("m") } } }));
    for (const outcome of [created, killed, changed]) {
      if (!outcome.changed) throw new Error("expected a change");
      expect(JSON.stringify(outcome.audit).length).toBeLessThan(64 * 1024);
    }
    if (!killed.changed || !changed.changed) throw new Error("expected changes");
    expect(killed.audit).toMatchObject({ before: { killed: false }, after: { killed: true } });
    expect(changed.audit.after).toMatchObject({ allowlist: { new: expect.arrayContaining([expect.stringMatching(/^… 3880 more \(3900 in all\)$/)]) } });
  });
});

describe("global resume", () => {
  it("restarts every rollout's guard window without changing its version", () => {
    const killed = ok(run(seeded(), { type: "kill-all", body: { reason: "incident" } })).state;
    const later = { now: new Date("2026-11-22T13:00:00Z"), actor: "ops" };
    const resumed = ok(applyCommand(killed, { type: "resume-all", body: {} }, later));
    const before = killed.rollouts.get("default")!;
    const after = resumed.state.rollouts.get("default")!;
    expect(after.guardSince).toBe("2026-11-22T13:00:00.000Z");
    expect(after.version).toBe(before.version);
    expect(after.config).toEqual(before.config);
  });
});
