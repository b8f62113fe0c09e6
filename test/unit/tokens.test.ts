/**
 * Named tokens without the runtime: the format, the policy that stores them (pure), the snapshot
 * that carries their hashes, and `authorize` checking a token against it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { changesOnlyPercent } from "../../admin/scopes";
import { grants, hashSecret, MAX_TOKENS, mintToken, parseToken, TOKEN_SCOPES, type TokenScope } from "../../contracts/tokens";
import { applyCommand, EMPTY_STATE, toSnapshot, type Command, type CommandOutcome, type ControlState } from "../../control/policy/commands";
import { compileSnapshot } from "../../edge/match";
import { authorize, digestsEqual } from "../../edge/tokens";
import { ok } from "../support/commands";

const now = new Date("2026-11-22T12:00:00Z");
const ctx = { now, actor: "admin" };
const HASH = "ab".repeat(32);

const create = (state: ControlState, body: unknown, tokenId = "0123456789abcdef", hash = HASH) =>
  applyCommand(state, { type: "token-create", body, tokenId, hash } as Command, ctx);

describe("token format", () => {
  it("mints er_<id>_<secret> from the random source and stores only the secret's SHA-256", async () => {
    let n = 0;
    const minted = await mintToken((bytes) => bytes.map(() => n++ % 256));
    expect(minted.token).toBe(`er_${minted.id}_${minted.secret}`);
    expect(minted.id).toBe("0001020304050607");
    expect(minted.hash).toBe(await hashSecret(minted.secret));
    expect(minted.hash).not.toContain(minted.secret);
    expect(parseToken(minted.token)).toEqual({ id: minted.id, secret: minted.secret });
  });

  it("takes nothing else for a named token (ADMIN_TOKEN, truncated or padded tokens)", () => {
    for (const t of ["test-admin-token", `er_0123456789abcdef_${"a".repeat(63)}`, `er_0123456789abcdef_${"a".repeat(64)}x`, `er_0123456789ABCDEF_${"a".repeat(64)}`]) {
      expect(parseToken(t), t).toBeUndefined();
    }
  });

  it("compares digests in full: any single differing byte refuses", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(31), fc.integer({ min: 1, max: 255 }), (digest, at, flip) => {
        const other = digest.slice();
        other[at] = other[at]! ^ flip;
        return digestsEqual(digest, digest.slice()) && !digestsEqual(digest, other) && !digestsEqual(digest, digest.slice(0, 31));
      }),
    );
  });

  it("lets admin do everything and every other scope only itself", () => {
    for (const held of TOKEN_SCOPES) for (const needed of TOKEN_SCOPES) expect(grants([held], needed), `${held} → ${needed}`).toBe(held === "admin" || held === needed);
  });
});

describe("token policy", () => {
  it("stores a token with its creator and bumps the version; the audit shows no hash", () => {
    const out = ok(create(EMPTY_STATE, { name: "ci-deploy", scopes: ["operate", "read", "read"], expiresAt: "2026-12-31T00:00:00+01:00" }));
    expect(out.changed && out.audit).toMatchObject({ action: "token-create", actor: "admin", after: { name: "ci-deploy", createdBy: "admin" } });
    expect(JSON.stringify(out.changed && out.audit)).not.toContain(HASH);
    expect(out.state.version).toBe(1);
    expect(out.state.tokens.get("0123456789abcdef")).toMatchObject({ scopes: ["operate", "read"], expiresAt: "2026-12-30T23:00:00.000Z", hash: HASH });
  });

  it("refuses a taken or reserved name, an unknown scope, no scope, and an expiry not in the future", () => {
    const state = ok(create(EMPTY_STATE, { name: "ci", scopes: ["read"] })).state;
    const error = (o: CommandOutcome) => (o.ok ? undefined : o.error);
    expect(error(create(state, { name: "ci", scopes: ["admin"] }, "1111111111111111"))).toEqual({ kind: "token-name-taken", name: "ci" });
    for (const [body, pointer] of [
      [{ name: "admin", scopes: ["read"] }, "/name"],
      [{ name: "guard", scopes: ["read"] }, "/name"],
      [{ name: "Not A Slug", scopes: ["read"] }, "/name"],
      [{ name: "x", scopes: ["root"] }, "/scopes/0"],
      [{ name: "x", scopes: [] }, "/scopes"],
      [{ name: "x", scopes: ["read"], expiresAt: now.toISOString() }, "/expiresAt"],
      [{ name: "x", scopes: ["read"], secret: "mine" }, ""],
    ] as const) {
      const e = error(create(state, body, "1111111111111111"));
      expect(e?.kind === "invalid" && e.issues.map((i) => i.pointer), JSON.stringify(body)).toContain(pointer);
    }
  });

  it(`holds at most ${MAX_TOKENS} tokens`, () => {
    let state = EMPTY_STATE;
    for (let i = 0; i < MAX_TOKENS; i++) state = ok(create(state, { name: `t${i}`, scopes: ["read"] }, i.toString(16).padStart(16, "0"))).state;
    const refused = create(state, { name: "one-more", scopes: ["read"] }, "ffffffffffffffff");
    expect(refused.ok ? undefined : refused.error.kind).toBe("invalid-state");
  });

  it("revokes by id (gone from the next snapshot), and says so for an unknown id", () => {
    const state = ok(create(EMPTY_STATE, { name: "ci", scopes: ["read"] })).state;
    expect(toSnapshot(state).tokens).toEqual([{ id: "0123456789abcdef", name: "ci", scopes: ["read"], hash: HASH, expiresAt: null }]);
    const revoked = ok(applyCommand(state, { type: "token-revoke", tokenId: "0123456789abcdef" }, ctx));
    expect(revoked.changed && revoked.audit).toMatchObject({ action: "token-revoke", before: { name: "ci" }, after: null, version: 2 });
    expect(toSnapshot(revoked.state).tokens).toEqual([]);
    const again = applyCommand(revoked.state, { type: "token-revoke", tokenId: "0123456789abcdef" }, ctx);
    expect(again.ok ? undefined : again.error).toEqual({ kind: "token-not-found", tokenId: "0123456789abcdef" });
  });

  it("adds the request's note to the audit entry of a change, not to the actor", () => {
    const out = ok(applyCommand(EMPTY_STATE, { type: "kill-all", body: {} }, { ...ctx, actor: "ci-deploy", note: "X-Actor: alice@example.com" }));
    expect(out.changed && out.audit).toMatchObject({ actor: "ci-deploy", note: "X-Actor: alice@example.com" });
  });
});

describe("authorize against a snapshot", () => {
  async function snapshotWith(scopes: TokenScope[], expiresAt?: string) {
    const minted = await mintToken();
    const state = ok(create(EMPTY_STATE, { name: "ci", scopes, ...(expiresAt ? { expiresAt } : {}) }, minted.id, minted.hash)).state;
    return { table: compileSnapshot(toSnapshot(state)), state, token: minted.token };
  }
  const bearer = (t: string) => `Bearer ${t}`;

  it("accepts a named token with the scope, by name, and refuses one without it (403 naming the scope)", async () => {
    const { table, token } = await snapshotWith(["read"]);
    expect(await authorize(table.tokens, undefined, bearer(token), "read", now.getTime())).toEqual({ ok: true, name: "ci", scopes: ["read"] });
    const refused = await authorize(table.tokens, undefined, bearer(token), "operate", now.getTime());
    expect(refused).toMatchObject({ ok: false, status: 403, detail: expect.stringContaining('"operate"') });
  });

  it("refuses a revoked, expired, wrong-secret or absent token with 401", async () => {
    const { table, state, token } = await snapshotWith(["admin"], "2026-11-22T13:00:00Z");
    const revoked = compileSnapshot(toSnapshot({ ...state, tokens: new Map() }));
    const wrong = token.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    for (const [tokens, header, at] of [
      [revoked.tokens, bearer(token), now.getTime()],
      [table.tokens, bearer(token), Date.parse("2026-11-22T13:00:00Z")],
      [table.tokens, bearer(wrong), now.getTime()],
      [table.tokens, null, now.getTime()],
      [undefined, bearer(token), now.getTime()],
    ] as const) {
      expect((await authorize(tokens, undefined, header, null, at)).ok).toBe(false);
    }
    expect(await authorize(table.tokens, undefined, bearer(token), null, Date.parse("2026-11-22T12:59:59Z"))).toMatchObject({ ok: true });
  });
});

describe("which PATCH is a percentage change", () => {
  it("is one that changes percent and nothing else", () => {
    expect(changesOnlyPercent({ percent: 10 })).toBe(true);
    for (const body of [{ percent: 10, description: "x" }, {}, { percentage: 10 }, [10], null, "percent"]) expect(changesOnlyPercent(body), JSON.stringify(body)).toBe(false);
  });
});
