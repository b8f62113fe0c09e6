/**
 * A router whose vars are broken, as a new user might start it: it must name the problem in a 503
 * problem and a log line, never crash. (Its own file: it needs its own wrangler dev.)
 */
import { describe, expect, it } from "vitest";
import { startRouter } from "./harness";

describe("misconfigured vars", () => {
  it("names the missing var in a 503 problem and a log line instead of crashing", async () => {
    const broken = await startRouter({ vars: { NEW_ORIGIN: "" } });
    try {
      const res = await fetch(`${broken.url}/`);
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await res.json()) as { problems: string[] };
      expect(problem.problems).toEqual([expect.stringMatching(/^NEW_ORIGIN is not set/)]);
      await expect.poll(() => broken.output(), { timeout: 5_000 }).toMatch(/NEW_ORIGIN is not set/);
    } finally {
      await broken.stop();
    }
  });
});
