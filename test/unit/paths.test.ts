import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePath, normalizePrefix } from "../../contracts/paths";
import type { ConfigSnapshot } from "../../contracts/rollout";
import { RolloutConfigSchema } from "../../contracts/rollout";
import { compileSnapshot, matchRollout } from "../../edge/match";

const origins = { legacy: "https://l.example", new: "https://n.example" };
const stored = (id: string, prefixes: string[]) => ({
  config: RolloutConfigSchema.parse({ id, origins, match: { pathPrefixes: prefixes } }),
  version: 1,
  updatedAt: "2026-01-01T00:00:00Z",
  updatedBy: "t",
  killReason: null,
});
const snapshot: ConfigSnapshot = {
  version: 1,
  globalKill: { killed: false, reason: null, at: null, by: null },
  rollouts: [stored("default", ["/"]), stored("checkout", ["/checkout"]), stored("api-v2", ["/api/v2/"])],
};
const table = compileSnapshot(snapshot);
/** What the router does with a request path: normalise, then match (WHATWG URL parsing first). */
const ruling = (path: string) => matchRollout(table, "shop.example", normalizePath(new URL(`https://shop.example${path}`).pathname))?.rollout.id;

describe("path normalisation for matching", () => {
  it.each([
    ["//checkout/pay", "/checkout/pay"],
    ["/%63heckout/pay", "/checkout/pay"],
    ["/%63%68eckout", "/checkout"],
    ["/checkout/./pay", "/checkout/pay"],
    ["/x/../checkout/pay", "/checkout/pay"],
    ["/checkout;jsessionid=1/pay", "/checkout/pay"],
    ["/checkout%2Fpay", "/checkout/pay"],
    ["/checkout/", "/checkout/"],
    ["/../../checkout", "/checkout"],
    ["/a%20b", "/a%20b"],
    ["/a%2fb", "/a/b"],
    ["/%7Euser", "/~user"],
    ["/", "/"],
  ])("reads %s as %s", (raw, normalized) => {
    expect(normalizePath(raw)).toBe(normalized);
  });

  it("keeps the common case as it is, without allocating a new string", () => {
    const path = "/checkout/pay/42";
    expect(normalizePath(path)).toBe(path);
  });

  it("puts configured prefixes in the same form as request paths", () => {
    expect(normalizePrefix("/api/v2/")).toBe("/api/v2");
    expect(normalizePrefix("//api//v2")).toBe("/api/v2");
    expect(normalizePrefix("/%61pi")).toBe("/api");
  });

  // Every way to spell a path that an origin would treat as the same.
  const segment = fc.stringMatching(/^[a-z0-9]{1,8}$/);
  const spelling = (seg: string) =>
    fc.oneof(
      fc.constant(seg),
      fc.constant(seg.replace(/^./, (c) => `%${c.charCodeAt(0).toString(16)}`)),
      fc.constant(seg.replace(/^./, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)),
      fc.constant(`${seg};v=1`),
    );
  const separator = fc.constantFrom("/", "//", "/./", "/x/../", "%2F", "///");

  it("governs every spelling of a path by the rollout that governs its plain form (property)", () => {
    const path = fc
      .tuple(fc.constantFrom(["checkout"], ["api", "v2"], ["other"]), fc.array(segment, { maxLength: 3 }))
      .map(([head, rest]) => [...head, ...rest])
      .chain((segments) => fc.tuple(fc.constant(segments), fc.tuple(...segments.map((s) => fc.tuple(spelling(s), separator)))));
    fc.assert(
      fc.property(path, ([segments, spelled]) => {
        const plain = `/${segments.join("/")}`;
        // The first separator is a real slash (a path starts with one); the others may be any spelling.
        const odd = spelled.map(([s, sep], i) => (i === 0 ? sep.replace("%2F", "/") : sep) + s).join("");
        expect(ruling(odd), `${odd} vs ${plain}`).toBe(ruling(plain));
      }),
      { numRuns: 1000 },
    );
  });

  it("does not let a similar but different path into a rollout", () => {
    expect(ruling("/checkoutx/pay")).toBe("default");
    expect(ruling("/api/v20")).toBe("default");
    expect(ruling("/CHECKOUT")).toBe("default");
  });
});
