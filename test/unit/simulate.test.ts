/**
 * The control-plane simulation at a small scale (the full run is `npm run simulate`): it runs the
 * real snapshot cache, replica policy and health merging, so the tiered design's promises show
 * here too: no waiting in steady state, a kill under one second, the primary's load independent of
 * the isolates, every request counted by the primary's health windows.
 */
import { describe, expect, it } from "vitest";
import type { DesignOptions } from "../../simulate/model";
import { runScenario } from "../../simulate/scenario";

const tiered: DesignOptions = {
  design: "tiered",
  freshnessMs: 250,
  maxStalenessMs: 600,
  replicaRegions: ["wnam", "enam", "weur", "apac"],
  replicasPerRegion: 2,
  primaryRegion: "enam",
  doServiceMs: 1,
};
const today: DesignOptions = { ...tiered, design: "today", maxStalenessMs: 250 };
const run = (design: DesignOptions, totalRps: number, rpsPerIsolate = 200) => runScenario({ name: design.design, design, totalRps, colos: 30, rpsPerIsolate, seconds: 3, seed: 7 });

describe("the control-plane simulation", () => {
  it("shows today's design waiting on the control plane, and the tiered one not, over the same traffic", async () => {
    const [before, after] = await Promise.all([run(today, 20_000), run(tiered, 20_000)]);
    expect(before.requests).toBe(after.requests);
    expect(before.waitShare).toBeGreaterThan(0.05);
    expect(after.waitShare).toBeLessThan(0.001);
    expect(after.killMaxMs).toBeGreaterThan(0);
    expect(after.killMaxMs).toBeLessThan(1000);
    expect(after.healthCounted).toBeGreaterThan(0.99);
  }, 60_000);

  it("keeps the primary's load flat when isolates multiply; today's grows with them", async () => {
    const [few, many] = await Promise.all([run(tiered, 20_000, 400), run(tiered, 20_000, 50)]);
    expect(many.isolates).toBeGreaterThan(4 * few.isolates);
    expect(many.primaryRps).toBeLessThan(few.primaryRps * 1.5);
    // Per 1,000 isolates the primary's load falls as they multiply (it is per replica, not per isolate).
    expect(many.primaryRpsPer1000Isolates).toBeLessThan(few.primaryRpsPer1000Isolates / 2);
    expect(many.primaryRpsPer1000Isolates).toBeCloseTo((many.primaryRps * 1000) / many.isolates, 6);
    const [todayFew, todayMany] = await Promise.all([run(today, 20_000, 400), run(today, 20_000, 50)]);
    expect(todayMany.primaryRps).toBeGreaterThan(3 * todayFew.primaryRps);
    // Today every isolate calls the primary itself: about 5 calls/s each (4 refreshes, 1 flush)
    // until the primary's capacity caps them all.
    expect(todayFew.primaryRpsPer1000Isolates).toBeGreaterThan(4000);
    expect(todayFew.primaryRpsPer1000Isolates).toBeGreaterThan(10 * many.primaryRpsPer1000Isolates);
  }, 120_000);
});
