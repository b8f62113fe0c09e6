/**
 * The elimination benchmark (bench/hot-path-costs.mjs) cuts exact statements out of the router's
 * bundle; this keeps a refactor from silently turning a row into "statement not found".
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CUTS, cutBundle } from "../../bench/hot-path-costs.mjs";

const source = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
type Cut = { key: string; find: string; replace: string };

describe("the elimination benchmark's cuts", () => {
  it("each names a statement that is in the router's source once", () => {
    const code = source("edge/handler.ts") + source("edge/forward.ts");
    for (const cut of CUTS as Cut[]) {
      // The bundle drops the TypeScript types: compare the statement with them removed.
      const stripped = code.replace(
        /export function upstreamHeaders\(request: Request, url: URL, ctx: ForwardContext\): Headers \{/,
        "function upstreamHeaders(request, url, ctx) {",
      );
      expect(stripped.split(cut.find.trim()).length, cut.key).toBe(2);
    }
  });

  it("refuses a bundle where a statement is missing, rather than measuring something else", () => {
    expect(cutBundle("nothing to cut here", CUTS)).toBeNull();
    const all = (CUTS as Cut[]).map((c) => c.find).join("");
    expect(cutBundle(all, CUTS)).toBe((CUTS as Cut[]).map((c) => c.replace).join(""));
  });
});
