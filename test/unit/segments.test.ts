/** Segments in the control plane's write policy: stored, versioned, audited, refused when unknown or in use. */
import { describe, expect, it } from "vitest";
import { toSnapshot } from "../../control/policy/commands";
import { compileSnapshot } from "../../edge/match";
import { decide } from "../../edge/decide";
import { err, ok, origins, run, seedDefault } from "../support/commands";

const seeded = () => seedDefault();
const betaBody = { description: "beta testers", when: [{ claim: "beta_tester", equals: true }] };
const usingBeta = { origins, match: { pathPrefixes: ["/app"] }, rules: [{ name: "beta", when: [{ segment: "beta" }], variant: "new" }] };

describe("segment writes", () => {
  it("creates a segment with a new config version and an audit entry naming it", () => {
    const state = seeded();
    const out = ok(run(state, { type: "segment-put", name: "beta", body: betaBody }));
    expect(out.changed).toBe(true);
    if (!out.changed) return;
    expect(out.state.version).toBe(state.version + 1);
    expect(out.segment).toMatchObject({ name: "beta", ...betaBody, version: out.state.version, updatedBy: "ops" });
    expect(out.audit).toMatchObject({ action: "segment-put", rolloutId: null, before: null, after: { name: "beta", ...betaBody } });
  });

  it("changes nothing when the same segment is put again, and audits only what changed (with the name)", () => {
    const first = ok(run(seeded(), { type: "segment-put", name: "beta", body: betaBody })).state;
    const again = ok(run(first, { type: "segment-put", name: "beta", body: betaBody }));
    expect(again.changed).toBe(false);
    expect(again.state.version).toBe(first.version);
    const changed = ok(run(first, { type: "segment-put", name: "beta", body: { ...betaBody, description: "beta v2" } }));
    expect(changed.changed && changed.audit).toMatchObject({ before: { name: "beta", description: "beta testers" }, after: { name: "beta", description: "beta v2" } });
    expect(changed.changed && changed.audit.after).not.toHaveProperty("when");
  });

  it("honours If-Match: 0 creates only, a stale version is refused", () => {
    const first = ok(run(seeded(), { type: "segment-put", name: "beta", body: betaBody, ifMatch: 0 })).state;
    expect(err(run(first, { type: "segment-put", name: "beta", body: betaBody, ifMatch: 0 }))).toMatchObject({ kind: "version-mismatch" });
  });

  it("refuses a bad name, a body naming another segment, and invalid conditions, changing nothing", () => {
    const state = seeded();
    expect(err(run(state, { type: "segment-put", name: "Beta", body: betaBody }))).toMatchObject({ kind: "invalid", issues: [{ pointer: "/name" }] });
    expect(err(run(state, { type: "segment-put", name: "beta", body: { ...betaBody, name: "other" } }))).toMatchObject({ kind: "invalid", issues: [{ pointer: "/name" }] });
    expect(err(run(state, { type: "segment-put", name: "beta", body: { when: [{ header: "x" }] } }))).toMatchObject({ kind: "invalid", issues: [{ pointer: "/when/0" }] });
    expect(err(run(state, { type: "segment-put", name: "beta", body: [] }))).toMatchObject({ kind: "invalid" });
  });

  it("refuses a rule that names an unknown segment, with the pointer to it", () => {
    const error = err(run(seeded(), { type: "put", id: "app", body: usingBeta }));
    expect(error).toMatchObject({ kind: "invalid", issues: [{ pointer: "/rules/0/when/0/segment", message: expect.stringMatching(/"beta", which does not exist/) }] });
    const withSegment = ok(run(seeded(), { type: "segment-put", name: "beta", body: betaBody })).state;
    expect(ok(run(withSegment, { type: "put", id: "app", body: usingBeta })).changed).toBe(true);
    expect(err(run(withSegment, { type: "patch", id: "default", patch: { rules: [{ name: "x", when: [{ segment: "nope" }], percent: 5 }] } }))).toMatchObject({
      issues: [{ pointer: "/rules/0/when/0/segment" }],
    });
  });

  it("refuses to delete a segment a rollout uses, naming the rollouts; deletes it once unused", () => {
    let state = ok(run(seeded(), { type: "segment-put", name: "beta", body: betaBody })).state;
    state = ok(run(state, { type: "put", id: "app", body: usingBeta })).state;
    expect(err(run(state, { type: "segment-delete", name: "beta" }))).toEqual({ kind: "segment-in-use", segment: "beta", rollouts: ["app"] });
    state = ok(run(state, { type: "patch", id: "app", patch: { rules: null } })).state;
    const deleted = ok(run(state, { type: "segment-delete", name: "beta" }));
    expect(deleted.state.segments.has("beta")).toBe(false);
    expect(deleted.changed && deleted.audit).toMatchObject({ action: "segment-delete", before: { name: "beta" }, after: null });
    expect(err(run(deleted.state, { type: "segment-delete", name: "beta" }))).toEqual({ kind: "segment-not-found", segment: "beta" });
  });

  it("puts segments into the snapshot, so that isolates route with them", () => {
    let state = ok(run(seeded(), { type: "segment-put", name: "beta", body: betaBody })).state;
    state = ok(run(state, { type: "put", id: "app", body: usingBeta })).state;
    const snapshot = toSnapshot(state);
    expect(snapshot.segments).toEqual([{ name: "beta", when: betaBody.when }]);
    const table = compileSnapshot(snapshot);
    const d = decide(table, table.rollouts.get("app"), { userId: "u", source: "jwt:header:authorization", verified: true, claims: { beta_tester: true } });
    expect(d).toMatchObject({ variant: "new", reason: "rule:beta" });
  });
});
