/**
 * The routing table indexes path prefixes by their first segment, so that many rollouts on one host
 * cost one lookup: it must pick exactly the rollout a scan of every prefix would.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePrefix } from "../../contracts/paths";
import { RolloutConfigSchema, type StoredRollout } from "../../contracts/rollout";
import { compileSnapshot, matchRollout, pathHasPrefix, SEGMENT_INDEX_FROM } from "../../edge/match";

const origins = { legacy: "https://l.example", new: "https://n.example" };
const segment = fc.constantFrom("api", "app", "a", "checkout", "v2", "x");
const prefix = fc.array(segment, { maxLength: 3 }).map((s) => `/${s.join("/")}`);
const host = fc.constantFrom("shop.example", "eu.shop.example", "other.example");
const hosts = fc.constantFrom<string[]>([], ["shop.example"], ["*.shop.example"], ["*.example"], ["other.example"]);

interface Spec {
  hosts: string[];
  prefixes: string[];
}

/** The reference: every prefix of every rollout, longest first; at equal length exact host, then the longest wildcard, then any host. */
function scan(specs: Spec[], hostname: string, path: string): string | undefined {
  const rank = (h: string) => (h === hostname ? 3_000 : h.startsWith("*.") && hostname.endsWith(h.slice(1)) ? 1_000 + h.length : -1);
  let best: { id: string; length: number; rank: number } | undefined;
  specs.forEach((spec, i) => {
    for (const raw of spec.prefixes) {
      const p = normalizePrefix(raw);
      if (!pathHasPrefix(path, p)) continue;
      const r = spec.hosts.length === 0 ? 0 : Math.max(...spec.hosts.map(rank));
      if (r < 0) continue;
      if (!best || p.length > best.length || (p.length === best.length && r > best.rank)) best = { id: `r${i}`, length: p.length, rank: r };
    }
  });
  return best?.id;
}

/** Rollouts no generated path reaches (their first segments are never generated), enough to index every host class by segment. */
const FILLERS: Spec[] = [[], ["shop.example"], ["*.shop.example"], ["*.example"], ["other.example"]].flatMap((h) =>
  Array.from({ length: SEGMENT_INDEX_FROM }, (_, i) => ({ hosts: h, prefixes: [`/filler-${i}/x`] })),
);

describe("prefix index", () => {
  it.each([
    ["a few prefixes per host (scanned)", false],
    ["many prefixes per host (indexed by first segment)", true],
  ])("matches the rollout a scan of every prefix would, for any set of rollouts and any path: %s", (_, filled) => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ hosts, prefixes: fc.uniqueArray(prefix, { minLength: 1, maxLength: 3 }) }), { maxLength: 8 }),
        host,
        fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join("/")}`),
        (generated, hostname, path) => {
          const specs = filled ? [...generated, ...FILLERS] : generated;
          // Keep only rollouts that claim no (host, prefix) pair an earlier one claims, as the control plane does.
          const claimed = new Set<string>();
          const kept = specs.filter((spec) => {
            const keys = (spec.hosts.length ? spec.hosts : ["*"]).flatMap((h) => spec.prefixes.map((p) => `${h} ${normalizePrefix(p)}`));
            if (keys.some((k) => claimed.has(k))) return false;
            for (const k of keys) claimed.add(k);
            return true;
          });
          const rollouts: StoredRollout[] = kept.map((spec, i) => ({
            config: RolloutConfigSchema.parse({ id: `r${i}`, origins, match: { hosts: spec.hosts, pathPrefixes: spec.prefixes } }),
            version: 1,
            updatedAt: "",
            updatedBy: "",
            killReason: null,
          }));
          const table = compileSnapshot({ version: 1, globalKill: { killed: false, reason: null, at: null, by: null }, rollouts });
          expect(matchRollout(table, hostname, path)?.rollout.id).toBe(scan(kept, hostname, path));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("finds one of 50 rollouts on one host by its first segment, and falls back to / ", () => {
    const rollouts: StoredRollout[] = Array.from({ length: 50 }, (_, i) => ({
      config: RolloutConfigSchema.parse({ id: `app-${i}`, origins, match: { hosts: ["shop.example"], pathPrefixes: [i === 0 ? "/" : `/app-${i}`] } }),
      version: 1,
      updatedAt: "",
      updatedBy: "",
      killReason: null,
    }));
    const table = compileSnapshot({ version: 1, globalKill: { killed: false, reason: null, at: null, by: null }, rollouts });
    expect(matchRollout(table, "shop.example", "/app-37/cart")?.rollout.id).toBe("app-37");
    expect(matchRollout(table, "shop.example", "/app-370")?.rollout.id).toBe("app-0");
    expect(matchRollout(table, "other.example", "/app-37")).toBeUndefined();
  });
});
