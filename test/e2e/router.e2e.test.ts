/**
 * Black-box scenarios against a real `wrangler dev` (workerd) on loopback, with two origin servers.
 * Each test asserts what a user (or an operator) would notice; one wrangler dev serves the file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hit, startRouter, waitUntil, type Router } from "./harness";
import { KILL_BOUND_MS, measureKills, median, sleep, write as writeAndWait } from "./kill-propagation";

let router: Router;

beforeAll(async () => {
  // An admin write then reaches the proxy only through the freshness window, as it does in every
  // isolate other than the one that took the admin request: the slow path is the one exercised.
  router = await startRouter({ initialPercent: 0, vars: { ADMIN_WRITES_REFRESH_LOCALLY: "false" } });
});
afterAll(async () => {
  await router?.stop();
});

const write = (method: string, path: string, body: unknown) => writeAndWait(router, method, path, body);

const setPercent = (percent: number) => write("PATCH", "/rollouts/default", { percent });

/** Which origin answered each user (requests in batches of `concurrency`). */
async function originsOf(users: string[], concurrency = 20): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  for (let i = 0; i < users.length; i += concurrency) {
    const batch = await Promise.all(users.slice(i, i + concurrency).map(async (u) => [u, await hit(router, u)] as const));
    for (const [u, r] of batch) {
      expect(r.status, `${u}: status`).toBe(200);
      seen.set(u, r.origin);
    }
  }
  return seen;
}

describe("a user's view", () => {
  it("gets the legacy origin's response at 0%, and the origin receives x-rollout-id and x-rollout-variant", async () => {
    const newBefore = router.hits.new.length;
    const res = await fetch(`${router.url}/hello?x=1`, { headers: { "x-user-id": "alice", accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin")).toBe("legacy");
    const echo = (await res.json()) as { origin: string; path: string; query: string; headers: Record<string, string> };
    expect(echo).toMatchObject({ origin: "legacy", path: "/hello", query: "?x=1" });
    // What the legacy origin itself recorded for that request.
    const received = router.hits.legacy.filter((h) => h.url === "/hello?x=1");
    expect(received).toHaveLength(1);
    expect(received[0]!.headers).toMatchObject({ "x-rollout-id": "default", "x-rollout-variant": "legacy", "x-user-id": "alice" });

    // Nobody reaches new at 0%.
    const users = Array.from({ length: 40 }, (_, i) => `zero-${i}`);
    expect(new Set((await originsOf(users)).values())).toEqual(new Set(["legacy"]));
    expect(router.hits.new.length).toBe(newBefore);
  });

  it("sends the same user id to the same origin on every request", async () => {
    await setPercent(50);
    const users = Array.from({ length: 30 }, (_, i) => `sticky-${i}`);
    const first = await originsOf(users);
    expect(new Set(first.values()), "at 50% both origins serve some of 30 users").toEqual(new Set(["legacy", "new"]));
    for (let round = 0; round < 4; round++) {
      expect(await originsOf(users), `round ${round + 2}`).toEqual(first);
    }
  });

  it("gives a browser without an id an edge_rollout_uid cookie, and keeps it on its origin when it sends the cookie back", async () => {
    // (Still at 50% from the previous test; set again so this test stands on its own.)
    await setPercent(50);
    for (let browser = 0; browser < 6; browser++) {
      const first = await fetch(`${router.url}/`, { headers: { accept: "application/json" } });
      await first.arrayBuffer();
      const cookie = first.headers.getSetCookie().find((c) => c.startsWith("edge_rollout_uid="));
      expect(cookie, "an anonymous id cookie").toBeDefined();
      expect(cookie).toMatch(/; Path=\/; Max-Age=\d{7,}; HttpOnly; Secure; SameSite=Lax$/);
      const origin = first.headers.get("x-origin");
      expect(origin).toMatch(/^(legacy|new)$/);
      for (let i = 0; i < 5; i++) {
        const again = await fetch(`${router.url}/`, { headers: { cookie: cookie!.split(";")[0]!, accept: "application/json" } });
        await again.arrayBuffer();
        expect(again.headers.get("x-origin"), `browser ${browser}, request ${i + 2}`).toBe(origin);
        expect(again.headers.getSetCookie(), "no new cookie once it has one").toEqual([]);
      }
    }
  });

  it("keeps every user who is on new on new while the percentage grows 10 → 25 → 50, and the share on new tracks the target", async () => {
    const users = Array.from({ length: 300 }, (_, i) => `ramp-${i}`);
    let onNew = new Set<string>();
    const shares: string[] = [];
    for (const percent of [10, 25, 50]) {
      await setPercent(percent);
      const now = new Set([...(await originsOf(users))].filter(([, origin]) => origin === "new").map(([u]) => u));
      const left = [...onNew].filter((u) => !now.has(u));
      expect(left, `users who left new when raised to ${percent}%`).toEqual([]);
      const share = (now.size / users.length) * 100;
      shares.push(`${percent}% → ${share.toFixed(1)}%`);
      // 300 users: the share follows the target within the binomial spread (2 sd ≈ 6 points at 50%).
      expect(Math.abs(share - percent), `share on new at ${percent}%`).toBeLessThan(7);
      onNew = now;
    }
    console.log(`[ramp] share of 300 users on new: ${shares.join(", ")}`);
  });
});

describe("kill switch", () => {
  it("sends no request that starts more than 1 s after the kill's acknowledgement to new, under load, over 5 kills", async () => {
    await setPercent(50);
    const KILLS = 5;
    const LOOPS = 12;
    const propagations = await measureKills(router, KILLS, LOOPS, "e2e");
    console.log(
      [
        `[kill propagation] ${KILLS} kills of rollout "default" at 50% under ${LOOPS} concurrent request loops (wrangler dev; the admin write does not refresh the proxy's snapshot directly).`,
        `  measured per kill: time from the kill's acknowledgement to the start of the last request that still reached new (≤ 0 = none started after the ack); bound ${KILL_BOUND_MS} ms`,
        ...propagations.map((p, i) => `  kill ${i + 1}: ${p} ms`),
        `  median ${median(propagations)} ms, worst ${Math.max(...propagations)} ms`,
      ].join("\n"),
    );
  });

  it("global kill sends everyone, allowlisted users included, to legacy; resume restores each user's origin", async () => {
    await write("PATCH", "/rollouts/default", { percent: 50, killed: false, allowlist: { new: ["vip"] } });
    const users = ["vip", ...Array.from({ length: 40 }, (_, i) => `global-${i}`)];
    const before = await originsOf(users);
    expect(before.get("vip")).toBe("new");
    expect([...before.values()].filter((o) => o === "new").length, "some non-allowlisted users on new").toBeGreaterThan(1);

    const kill = await router.admin("POST", "/kill", { reason: "e2e incident" });
    const killedAt = Date.now();
    expect(kill.status, await kill.text()).toBe(200);
    // Deliberate: the contract is "every request starting 1 s after the ack", so the check starts
    // once that second has passed, not as soon as one request shows the kill.
    await sleep(Math.max(0, killedAt + KILL_BOUND_MS + 50 - Date.now()));
    const during = await originsOf(users);
    expect(new Set(during.values()), "origins answering during the global kill").toEqual(new Set(["legacy"]));
    // Why the vip is on legacy, from the admin-only debug header.
    const debug = await fetch(`${router.url}/`, { headers: { "x-user-id": "vip", "x-rollout-debug": "1", "x-rollout-token": router.adminToken } });
    await debug.arrayBuffer();
    expect(debug.headers.get("x-rollout-decision")).toMatch(/variant=legacy; reason=killed; detail=global/);

    const resume = await router.admin("POST", "/resume", { reason: "e2e incident over" });
    const resumedAt = Date.now();
    expect(resume.status, await resume.text()).toBe(200);
    // Deliberate, as above: every user must be back once the bound has passed.
    await sleep(Math.max(0, resumedAt + KILL_BOUND_MS + 50 - Date.now()));
    expect(await originsOf(users), "each user back on the origin it had before").toEqual(before);

    await write("PATCH", "/rollouts/default", { allowlist: { new: [] } });
  });
});

describe("operator's view", () => {
  it("logs one JSON line per proxied request that says why it went where it went", async () => {
    await hit(router, "log-check", "/log-check");
    const line = await waitUntil(
      () =>
        router
          .output()
          .split("\n")
          .find((l) => l.includes('"path":"/log-check"')),
      { timeoutMs: 2000, intervalMs: 100, message: "a log line for /log-check in wrangler's output" },
    );
    expect(JSON.parse(line.slice(line.indexOf("{")))).toMatchObject({
      event: "proxy",
      rollout: "default",
      reason: "bucket",
      variant: expect.stringMatching(/^(new|legacy)$/),
      user: "header:x-user-id",
      status: 200,
    });
  });
});
