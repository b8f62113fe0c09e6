/**
 * Starts the fake legacy and new origins, a webhook receiver and the fake metric providers' control
 * server (real HTTP servers on loopback) for the workerd tests.
 */
import type { TestProject } from "vitest/node";
import { closedPort, startOrigin } from "../../scripts/origin-server.mjs";
import { startDropOrigin } from "./drop-origin";
import { startFakeMetricsControl } from "./fake-metrics-control";
import { startUploadProbe } from "./upload-probe";
import { startWebhookReceiver } from "./webhook-receiver";

declare module "vitest" {
  export interface ProvidedContext {
    legacyOrigin: string;
    newOrigin: string;
    closedOrigin: string;
    flakyOrigin: string;
    slowOrigin: string;
    dropOrigin: string;
    /** An origin that counts and hashes uploads as they stream in (./upload-probe.ts). */
    probeOrigin: string;
    /** A webhook receiver that verifies signatures with `webhookSecret` (./webhook-receiver.ts). */
    webhookReceiver: string;
    webhookSecret: string;
    /** New backends for shadow traffic, each recording what it received (GET /__origin/received). */
    shadowNewOrigin: string;
    /** Disagrees with legacy at /items/2/price of /__origin/catalog. */
    shadowDriftOrigin: string;
    /** Never answers. */
    shadowHangOrigin: string;
    /** Answers every request with a 500. */
    shadowFailOrigin: string;
    /** Starts fake Prometheus, Datadog and JSON servers on request (./fake-metrics-control.ts). */
    fakeMetrics: string;
  }
}

export default async function setup(project: TestProject) {
  const legacy = await startOrigin({ name: "legacy" });
  const next = await startOrigin({ name: "new" });
  project.provide("legacyOrigin", legacy.url);
  project.provide("newOrigin", next.url);
  project.provide("closedOrigin", `http://127.0.0.1:${await closedPort()}`);
  // A new backend that fails one request in five, and one that is 300 ms slower.
  const flaky = await startOrigin({ name: "new", failEvery: 5 });
  const slow = await startOrigin({ name: "new", delayMs: 300 });
  project.provide("flakyOrigin", flaky.url);
  project.provide("slowOrigin", slow.url);
  // A new backend that reads each request, then drops the connection without an answer.
  const drop = await startDropOrigin();
  project.provide("dropOrigin", drop.url);
  const probe = await startUploadProbe();
  project.provide("probeOrigin", probe.url);
  // New backends for shadow traffic: one that agrees, one that disagrees at /items/2/price of the
  // catalog, one that hangs, one that 500s; each records what it received.
  const shadow = {
    shadowNewOrigin: await startOrigin({ name: "new", record: true }),
    shadowDriftOrigin: await startOrigin({ name: "new", record: true, catalogDrift: 1 }),
    shadowHangOrigin: await startOrigin({ name: "new", record: true, hang: true }),
    shadowFailOrigin: await startOrigin({ name: "new", record: true, answerStatus: 500 }),
  };
  for (const [key, origin] of Object.entries(shadow)) project.provide(key as keyof typeof shadow, origin.url);
  const webhookSecret = `whsec-${crypto.randomUUID()}`;
  const receiver = await startWebhookReceiver(webhookSecret);
  project.provide("webhookReceiver", receiver.url);
  project.provide("webhookSecret", webhookSecret);
  const metrics = await startFakeMetricsControl();
  project.provide("fakeMetrics", metrics.url);
  return async () => {
    await Promise.all([
      legacy.close(),
      next.close(),
      flaky.close(),
      slow.close(),
      drop.close(),
      probe.close(),
      receiver.close(),
      metrics.close(),
      ...Object.values(shadow).map((o) => o.close()),
    ]);
  };
}
