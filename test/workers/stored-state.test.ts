/**
 * Stored state outlives code: an object written by the first release (no schema version, rollouts
 * without the fields added since, audit rows with whole configs and no note, no override settings,
 * no tokens table) is read, migrated and keeps working.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { RolloutState } from "../../control/rollout-state";
import { SCHEMA_VERSION } from "../../control/store/schema";
import { schemaVersionOf, stateAtSchema } from "./first-release";

const FIRST_RELEASE_ROLLOUT = {
  config: {
    id: "legacy-shop",
    match: { hosts: [], pathPrefixes: ["/shop"] },
    origins: { legacy: "https://old.example", new: "https://new.example" },
    percent: 25,
    stickiness: [{ header: "x-user-id" }],
    allowlist: { new: ["vip"], legacy: [] },
    killed: false,
    retryOnLegacy: true,
  },
  version: 3,
  updatedAt: "2026-11-01T10:00:00.000Z",
  updatedBy: "alice",
  killReason: null,
  percentSince: "2026-11-01T10:00:00.000Z",
  paused: false,
  pauseReason: null,
};

it("reads and migrates an object written by the first release, then takes writes", async () => {
  const stub = env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName("first-release-state"));
  const result = await runInDurableObject(stub, async (_instance: RolloutState, state) => {
    const sql = state.storage.sql;
    // What the first release left behind: its tables, no schemaVersion, no `overrides`.
    stateAtSchema(sql, 1, { version: "3", globalKill: JSON.stringify({ killed: false, reason: null, at: null, by: null }) });
    sql.exec(`INSERT INTO rollouts (id, record) VALUES (?, ?)`, "legacy-shop", JSON.stringify(FIRST_RELEASE_ROLLOUT));
    sql.exec(
      `INSERT INTO audit (at, actor, action, rollout_id, version, before, after, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      "2026-11-01T10:00:00.000Z",
      "alice",
      "create",
      "legacy-shop",
      3,
      null,
      JSON.stringify(FIRST_RELEASE_ROLLOUT.config),
      null,
    );
    const fresh = new RolloutState(state, env);
    const schema = schemaVersionOf(sql);
    return {
      schema,
      snapshot: await fresh.getSnapshot(-1),
      audit: await fresh.getAudit({ rolloutId: "legacy-shop" }),
      killed: await fresh.apply({ type: "kill", id: "legacy-shop", body: { reason: "after upgrade" } }, "bob", "X-Actor: bob@example.com"),
      health: await fresh.getHealth("legacy-shop"),
      tokenCreated: await fresh.apply({ type: "token-create", body: { name: "ci", scopes: ["read"] }, tokenId: "0123456789abcdef", hash: "ab".repeat(32) }, "admin"),
      tokens: await fresh.listTokens(),
      newest: await fresh.getAudit({ limit: 2 }),
    };
  });
  expect(result.schema).toBe(String(SCHEMA_VERSION));
  expect(result.snapshot).toMatchObject({
    status: "snapshot",
    snapshot: { version: 3, overrides: { revokedBefore: null }, tokens: [], rollouts: [{ config: { id: "legacy-shop", percent: 25 } }] },
  });
  expect(result.audit[0]).toMatchObject({ action: "create", actor: "alice", after: { id: "legacy-shop", percent: 25 } });
  expect(result.audit[0]).not.toHaveProperty("note");
  // The migrated tables take what the new code writes: a note, a token.
  expect(result.tokenCreated).toMatchObject({ ok: true, changed: true, version: 5 });
  expect(result.tokens).toEqual([{ id: "0123456789abcdef", name: "ci", scopes: ["read"], createdAt: expect.any(String), createdBy: "admin", expiresAt: null }]);
  expect(result.newest.map((e) => [e.action, e.actor, e.note])).toEqual([
    ["token-create", "admin", undefined],
    ["kill", "bob", "X-Actor: bob@example.com"],
  ]);
  expect(result.killed).toMatchObject({ ok: true, changed: true, version: 4, rollout: { config: { killed: true }, killReason: "after upgrade" } });
  // Guards count from the first release's percentSince when guardSince is missing.
  expect(result.health).toMatchObject({ rollout: "legacy-shop", since: "2026-11-01T10:00:00.000Z" });
});

it("refuses to start on a schema newer than its code, rather than misreading it", async () => {
  const stub = env.ROLLOUT_STATE.get(env.ROLLOUT_STATE.idFromName("future-schema"));
  const message = await runInDurableObject(stub, async (_instance: RolloutState, state) => {
    state.storage.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schemaVersion', ?)`, String(SCHEMA_VERSION + 1));
    try {
      new RolloutState(state, env);
      return "started";
    } catch (error) {
      return (error as Error).message;
    }
  });
  expect(message).toMatch(/newer than this code/);
});
