/**
 * The contract every MetricsSink keeps (run by each implementation's test file, as Hono runs one
 * case file against every router): one entry per proxied request in order, never more than the
 * platform accepts per invocation, and never an exception into the request path.
 */
import { describe, expect, it } from "vitest";
import type { MetricsSink, RequestRecord } from "../../contracts/metrics-sink";

export interface SinkUnderTest {
  sink: MetricsSink;
  /** What reached the backend so far, one entry per accepted write, in order. */
  written(): unknown[];
  /** Make the backend throw on every write from now on. */
  breakBackend(): void;
  /** Most entries one invocation may write (Infinity when unbounded). */
  cap: number;
  /** The request latency an entry carries (to check order and identity). */
  latencyOf(entry: unknown): number;
}

export function sampleRecord(i: number, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    decision: {
      rolloutId: "default",
      variant: i % 2 ? "new" : "legacy",
      reason: "bucket",
      bucket: i,
      threshold: 5000,
      identity: { userId: `u${i}`, source: "header:x-user-id", verified: false },
    },
    method: "GET",
    host: "shop.example",
    path: `/p/${i}`,
    pathPrefix: "/",
    status: 200,
    latencyMs: i,
    colo: "FRA",
    country: "DE",
    responseBytes: null,
    configVersion: 7,
    stale: false,
    retriedOnLegacy: false,
    ...overrides,
  };
}

export function runMetricsSinkContract(name: string, make: () => SinkUnderTest): void {
  describe(`MetricsSink contract: ${name}`, () => {
    it("keeps one entry per request, in the order written, up to its cap", () => {
      const s = make();
      const n = Math.min(s.cap, 20);
      for (let i = 0; i < n; i++) s.sink.write(sampleRecord(i));
      expect(s.written().map((e) => s.latencyOf(e))).toEqual(Array.from({ length: n }, (_, i) => i));
    });

    it("never writes more than the platform accepts per invocation", () => {
      const s = make();
      const attempts = Number.isFinite(s.cap) ? s.cap + 10 : 100;
      for (let i = 0; i < attempts; i++) s.sink.write(sampleRecord(i));
      expect(s.written().length).toBe(Math.min(attempts, s.cap));
    });

    it("never throws into the request path, whatever the backend does", () => {
      const s = make();
      s.breakBackend();
      expect(() => s.sink.write(sampleRecord(1, { error: "new origin unreachable", status: 0 }))).not.toThrow();
    });
  });
}
