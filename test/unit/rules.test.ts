/**
 * Targeting rules as the edge evaluates them: every condition kind, the decision's precedence,
 * `rule:<name>` reasons, percentage rules as sticky and monotonic as the rollout, segments inlined
 * at compile time, and OFREP contexts standing in for requests.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Identity } from "../../contracts/decision";
import { bucketOf } from "../../contracts/hash";
import { RolloutConfigSchema, type ConfigSnapshot, type RolloutConfigInput } from "../../contracts/rollout";
import type { Rule, SnapshotSegment } from "../../contracts/rules";
import { decide } from "../../edge/decide";
import { compileSnapshot, type RouterTable } from "../../edge/match";
import { evaluateFlag } from "../../edge/ofrep/evaluate";
import { NO_FACTS, ProxyRequestFacts } from "../../edge/request-facts";
import type { RequestFacts } from "../../edge/rules";
import { SnapshotCache } from "../../edge/snapshot-cache";
import type { SnapshotReply } from "../../contracts/config-source";

function snapshot(input: Partial<RolloutConfigInput>, segments: SnapshotSegment[] = [], version = 1, globalKilled = false): ConfigSnapshot {
  const config = RolloutConfigSchema.parse({ id: "r", origins: { legacy: "https://legacy.example", new: "https://new.example" }, ...input });
  return {
    version,
    globalKill: { killed: globalKilled, reason: null, at: null, by: null },
    segments,
    rollouts: [{ config, version, updatedAt: "2026-01-01T00:00:00.000Z", updatedBy: "test", killReason: null }],
  };
}

const tableOf = (rules: Rule[], more: Partial<RolloutConfigInput> = {}, segments: SnapshotSegment[] = []) => compileSnapshot(snapshot({ rules, ...more }, segments));

/** Facts as a request would carry them (a real Request, so headers, cookies, query and cf are read as in the proxy). */
function requestFacts(init: { headers?: Record<string, string>; query?: string; cf?: { country?: string; colo?: string } } = {}): RequestFacts {
  const url = new URL(`https://shop.example/checkout${init.query ?? ""}`);
  const request = new Request(url, { headers: init.headers });
  if (init.cf) Object.defineProperty(request, "cf", { value: init.cf });
  return new ProxyRequestFacts(request, url);
}

const claimed = (userId: string): Identity => ({ userId, source: "header:x-user-id", verified: false });
const verified = (userId: string, claims: Record<string, unknown> = {}): Identity => ({ userId, source: "jwt:header:authorization", verified: true, claims });

const decideOn = (t: RouterTable, identity: Identity, facts: RequestFacts = NO_FACTS, override?: "new" | "legacy") => decide(t, t.rollouts.get("r"), identity, override, facts);

describe("each kind of condition", () => {
  const toNew = (...when: Rule["when"]): Rule[] => [{ name: "beta", when, variant: "new" }];
  const cases: Array<[string, Rule[], RequestFacts, Identity, boolean]> = [
    ["header equals: the value", toNew({ header: "Canary", equals: "true" }), requestFacts({ headers: { canary: "true" } }), claimed("u"), true],
    ["header equals: another value", toNew({ header: "canary", equals: "true" }), requestFacts({ headers: { canary: "TRUE" } }), claimed("u"), false],
    ["header equals: absent", toNew({ header: "canary", equals: "true" }), requestFacts(), claimed("u"), false],
    ["header in: listed", toNew({ header: "x-plan", in: ["pro", "team"] }), requestFacts({ headers: { "x-plan": "team" } }), claimed("u"), true],
    ["header in: not listed", toNew({ header: "x-plan", in: ["pro", "team"] }), requestFacts({ headers: { "x-plan": "free" } }), claimed("u"), false],
    ["header present: empty value counts", toNew({ header: "x-beta", present: true }), requestFacts({ headers: { "x-beta": "" } }), claimed("u"), true],
    ["header present: absent", toNew({ header: "x-beta", present: true }), requestFacts(), claimed("u"), false],
    ["cookie equals", toNew({ cookie: "beta", equals: "1" }), requestFacts({ headers: { cookie: "a=b; beta=1" } }), claimed("u"), true],
    ["cookie equals: other cookie", toNew({ cookie: "beta", equals: "1" }), requestFacts({ headers: { cookie: "notbeta=1" } }), claimed("u"), false],
    ["cookie in", toNew({ cookie: "plan", in: ["pro"] }), requestFacts({ headers: { cookie: 'plan="pro"' } }), claimed("u"), true],
    ["cookie present", toNew({ cookie: "beta", present: true }), requestFacts({ headers: { cookie: "beta=" } }), claimed("u"), true],
    ["query equals (decoded)", toNew({ query: "preview", equals: "new ui" }), requestFacts({ query: "?preview=new%20ui" }), claimed("u"), true],
    ["query equals: case-sensitive name", toNew({ query: "preview", equals: "1" }), requestFacts({ query: "?Preview=1" }), claimed("u"), false],
    ["query present", toNew({ query: "preview", present: true }), requestFacts({ query: "?preview" }), claimed("u"), true],
    ["country listed", toNew({ country: ["DE", "AT"] }), requestFacts({ cf: { country: "AT" } }), claimed("u"), true],
    ["country not listed", toNew({ country: ["DE", "AT"] }), requestFacts({ cf: { country: "US" } }), claimed("u"), false],
    ["country unknown (no cf)", toNew({ country: ["DE"] }), requestFacts(), claimed("u"), false],
    ["colo listed", toNew({ colo: ["FRA"] }), requestFacts({ cf: { colo: "FRA" } }), claimed("u"), true],
    ["colo not listed", toNew({ colo: ["FRA"] }), requestFacts({ cf: { colo: "AMS" } }), claimed("u"), false],
    ["claim equals, verified", toNew({ claim: "beta_tester", equals: true }), NO_FACTS, verified("u", { beta_tester: true }), true],
    ["claim equals, another value", toNew({ claim: "beta_tester", equals: true }), NO_FACTS, verified("u", { beta_tester: "true" }), false],
    ["claim in a list claim", toNew({ claim: "groups", equals: "beta" }), NO_FACTS, verified("u", { groups: ["staff", "beta"] }), true],
    ["claim on a claimed identity", toNew({ claim: "beta_tester", equals: true }), NO_FACTS, { ...claimed("u"), claims: { beta_tester: true } }, false],
    ["claim inherited from Object.prototype", toNew({ claim: "constructor", equals: "x" }), NO_FACTS, verified("u", {}), false],
    [
      "all conditions hold",
      toNew({ header: "canary", equals: "true" }, { country: ["DE"] }),
      requestFacts({ headers: { canary: "true" }, cf: { country: "DE" } }),
      claimed("u"),
      true,
    ],
    [
      "one condition of two fails",
      toNew({ header: "canary", equals: "true" }, { country: ["DE"] }),
      requestFacts({ headers: { canary: "true" }, cf: { country: "FR" } }),
      claimed("u"),
      false,
    ],
  ];

  it.each(cases)("%s", (_, rules, facts, identity, matches) => {
    const d = decideOn(tableOf(rules), identity, facts);
    if (matches) expect(d).toMatchObject({ variant: "new", reason: "rule:beta", bucket: null });
    else expect(d).toMatchObject({ variant: "legacy", reason: "bucket" });
  });
});

describe("precedence: kill → override → allowlist → rules → bucket", () => {
  const rules: Rule[] = [{ name: "canary", when: [{ header: "canary", equals: "true" }], variant: "new" }];
  const canary = () => requestFacts({ headers: { canary: "true" } });

  it("1. a kill sends a rule's users to legacy", () => {
    expect(decideOn(tableOf(rules, { killed: true }), claimed("u"), canary())).toMatchObject({ variant: "legacy", reason: "killed" });
    const global = compileSnapshot(snapshot({ rules }, [], 1, true));
    expect(decideOn(global, claimed("u"), canary())).toMatchObject({ variant: "legacy", reason: "killed", detail: "global" });
  });

  it("2. an override wins over a rule", () => {
    expect(decideOn(tableOf(rules), claimed("u"), canary(), "legacy")).toMatchObject({ variant: "legacy", reason: "override" });
  });

  it("3. an allowlisted verified user is pinned whatever the rules say", () => {
    const t = tableOf(rules, { allowlist: { legacy: ["opted-out"] } });
    expect(decideOn(t, verified("opted-out"), canary())).toMatchObject({ variant: "legacy", reason: "allowlist" });
  });

  it("4. a matching rule wins over the percentage, both ways", () => {
    expect(decideOn(tableOf(rules, { percent: 0 }), claimed("u"), canary())).toMatchObject({ variant: "new", reason: "rule:canary" });
    const keepOut: Rule[] = [{ name: "no-eu", when: [{ country: ["DE"] }], variant: "legacy" }];
    expect(decideOn(tableOf(keepOut, { percent: 100 }), claimed("u"), requestFacts({ cf: { country: "DE" } }))).toMatchObject({ variant: "legacy", reason: "rule:no-eu" });
  });

  it("5. users no rule matches are bucketed at the rollout's percent", () => {
    const d = decideOn(tableOf(rules, { percent: 30 }), claimed("u-7"));
    expect(d).toMatchObject({ reason: "bucket", bucket: bucketOf("r", "u-7"), threshold: 3000 });
  });

  it("lets the first matching rule decide, in the order written", () => {
    const ordered: Rule[] = [
      { name: "staff-legacy", when: [{ header: "x-staff", present: true }], variant: "legacy" },
      { name: "canary", when: [{ header: "canary", equals: "true" }], variant: "new" },
    ];
    const both = requestFacts({ headers: { "x-staff": "1", canary: "true" } });
    expect(decideOn(tableOf(ordered), claimed("u"), both).reason).toBe("rule:staff-legacy");
    expect(decideOn(tableOf([...ordered].reverse()), claimed("u"), both).reason).toBe("rule:canary");
  });
});

describe("percentage rules", () => {
  const percentRule = (percent: number): Rule[] => [{ name: "beta-half", when: [{ header: "x-beta", present: true }], percent }];
  const beta = () => requestFacts({ headers: { "x-beta": "1" } });
  const userIds = fc.string({ minLength: 1, maxLength: 40 });
  const percents = fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100);

  it("buckets matched users with the rollout's hash and salt, against the rule's percent", () => {
    fc.assert(
      fc.property(userIds, percents, fc.constantFrom("r", "other-salt"), (user, percent, salt) => {
        const d = decideOn(tableOf(percentRule(percent), { salt, percent: 100 - percent }), claimed(user), beta());
        const bucket = bucketOf(salt, user);
        expect(d).toMatchObject({ reason: "rule:beta-half", bucket, threshold: Math.round(percent * 100) });
        expect(d.variant).toBe(bucket < Math.round(percent * 100) ? "new" : "legacy");
      }),
    );
  });

  it("keeps every matched user in new when the rule's percent is raised (monotonic), and decides the same each time (sticky)", () => {
    fc.assert(
      fc.property(userIds, percents, percents, (user, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const atLow = decideOn(tableOf(percentRule(low)), claimed(user), beta());
        const atHigh = decideOn(tableOf(percentRule(high)), claimed(user), beta());
        if (atLow.variant === "new") expect(atHigh.variant).toBe("new");
        expect(decideOn(tableOf(percentRule(low)), claimed(user), beta())).toEqual(atLow);
      }),
    );
  });

  it("puts about the rule's share of matched users in new", () => {
    const t = tableOf(percentRule(20));
    let inNew = 0;
    for (let i = 0; i < 20_000; i++) if (decideOn(t, claimed(`user-${i}`), beta()).variant === "new") inNew++;
    expect(inNew / 20_000).toBeGreaterThan(0.19);
    expect(inNew / 20_000).toBeLessThan(0.21);
  });
});

describe("segments", () => {
  const beta: SnapshotSegment = { name: "beta-testers", when: [{ claim: "beta_tester", equals: true }, { country: ["DE", "AT"] }] };
  const rules: Rule[] = [{ name: "beta", when: [{ segment: "beta-testers" }, { header: "x-app", equals: "web" }], variant: "new" }];
  const web = (country: string) => requestFacts({ headers: { "x-app": "web" }, cf: { country } });

  it("holds when every condition of the segment and of the rule holds", () => {
    const t = tableOf(rules, {}, [beta]);
    expect(decideOn(t, verified("u", { beta_tester: true }), web("AT"))).toMatchObject({ variant: "new", reason: "rule:beta" });
    expect(decideOn(t, verified("u", { beta_tester: true }), web("US")).reason).toBe("bucket");
    expect(decideOn(t, verified("u", { beta_tester: false }), web("DE")).reason).toBe("bucket");
    expect(decideOn(t, verified("u", { beta_tester: true }), requestFacts({ cf: { country: "DE" } })).reason).toBe("bucket");
  });

  it("routes with the segment's conditions of the snapshot it was compiled from", () => {
    const before = tableOf(rules, {}, [beta]);
    const after = tableOf(rules, {}, [{ ...beta, when: [{ claim: "beta_tester", equals: true }] }]);
    const user = verified("u", { beta_tester: true });
    expect(decideOn(before, user, web("US")).reason).toBe("bucket");
    expect(decideOn(after, user, web("US")).reason).toBe("rule:beta");
  });

  it("never matches a rule whose segment the snapshot lacks", () => {
    expect(decideOn(tableOf(rules), verified("u", { beta_tester: true }), web("DE")).reason).toBe("bucket");
  });
});

describe("compiled once per config version", () => {
  it("shares one version's compiled rules across every request of the isolate, and compiles the next version's anew", async () => {
    let version = 1;
    let snapshotsSent = 0;
    const rules: Rule[] = [{ name: "canary", when: [{ header: "canary", equals: "true" }], variant: "new" }];
    const source = {
      read: async (known: number): Promise<SnapshotReply> => {
        if (known === version) return { status: "unchanged", version };
        snapshotsSent++;
        return { status: "snapshot", snapshot: snapshot({ rules }, [], version) };
      },
    };
    let now = 1_000_000;
    const cache = new SnapshotCache(source, { freshnessMs: 250, maxStalenessMs: 250 }, () => now);
    const tableAt = async () => {
      const read = await cache.read(now);
      if (read.kind !== "table") throw new Error(read.kind);
      return read.table.rollouts.get("r")!.rules;
    };
    const first = await tableAt();
    for (let i = 0; i < 5; i++) {
      now += 300; // past the hard bound: every read asks the control plane, which says "unchanged"
      expect(await tableAt()).toBe(first);
    }
    version = 2;
    now += 300;
    const second = await tableAt();
    expect(second).not.toBe(first);
    expect(snapshotsSent).toBe(2);
  });

  it("builds the rules into the table: deciding reads the request only through the facts, and only for a rollout with rules", () => {
    const reads: string[] = [];
    const absent = (what: string) => {
      reads.push(what);
      return null;
    };
    const spy: RequestFacts = {
      header: (n) => absent(`header:${n}`),
      cookie: (n) => absent(`cookie:${n}`),
      query: (n) => absent(`query:${n}`),
      country: () => absent("country"),
      colo: () => absent("colo"),
    };
    const none = tableOf([]);
    decideOn(none, claimed("u"), spy);
    expect(reads).toEqual([]);
    const t = tableOf([
      {
        name: "a",
        when: [
          { header: "X-Canary", equals: "1" },
          { query: "q", present: true },
        ],
        variant: "new",
      },
    ]);
    decideOn(t, claimed("u"), spy);
    // Header names are lowercased at compile time; the second condition is never read once the first fails.
    expect(reads).toEqual(["header:x-canary"]);
  });

  it("reads the query string and the Cookie header at most once per request, however many conditions use them", () => {
    const url = new URL("https://shop.example/?a=1&b=2");
    let paramReads = 0;
    const params = url.searchParams;
    Object.defineProperty(url, "searchParams", {
      get: () => {
        paramReads++;
        return params;
      },
    });
    let cookieReads = 0;
    const headers = new Headers({ cookie: "x=1; y=2" });
    const get = (name: string) => {
      if (name === "cookie") cookieReads++;
      return headers.get(name);
    };
    const request = { headers: { get }, cf: undefined } as unknown as Request;
    const facts = new ProxyRequestFacts(request, url);
    const rules: Rule[] = [
      {
        name: "one",
        when: [
          { cookie: "x", equals: "1" },
          { cookie: "y", equals: "3" },
          { query: "a", equals: "1" },
        ],
        variant: "new",
      },
      {
        name: "two",
        when: [
          { cookie: "y", equals: "2" },
          { query: "b", equals: "2" },
        ],
        variant: "new",
      },
    ];
    expect(decideOn(tableOf(rules), claimed("u"), facts).reason).toBe("rule:two");
    expect(cookieReads).toBe(1);
    expect(paramReads).toBe(1);
  });
});

describe("OFREP contexts stand in for requests", () => {
  const rules: Rule[] = [
    { name: "staff", when: [{ claim: "role", equals: "staff" }], variant: "new" },
    { name: "canary", when: [{ header: "canary", equals: "true" }, { country: ["DE"] }], variant: "new" },
  ];
  const t = () => tableOf(rules);
  const evaluate = (attributes: Record<string, unknown>, vouches: boolean) =>
    evaluateFlag(t(), "r", { targetingKey: "u", attributes }, { name: "svc", vouchesForIdentity: vouches });

  it("reads a header condition from the attribute of its name and the country from `country`, for any caller", () => {
    expect(evaluate({ canary: true, country: "DE" }, false)).toMatchObject({ value: true, reason: "TARGETING_MATCH", metadata: { routerReason: "rule:canary" } });
    expect(evaluate({ canary: "true", country: "US" }, false)).toMatchObject({ value: false, reason: "SPLIT" });
  });

  it("reads claims from the attributes only of a caller that vouches for the user", () => {
    expect(evaluate({ role: "staff" }, true)).toMatchObject({ value: true, metadata: { routerReason: "rule:staff" } });
    expect(evaluate({ role: "staff" }, false)).toMatchObject({ value: false, metadata: { routerReason: "bucket" } });
  });
});
