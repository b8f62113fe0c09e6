/**
 * A real Prometheus: the `prometheus` binary (Debian's package; .ci/run installs it) on loopback,
 * scraping a local exporter written with prom-client that exposes a queue-depth gauge the test
 * sets. Proves that pollCheck reads the real PromQL answer, and that the Durable Object's alarm
 * under `wrangler dev` kills a rollout once the gauge exceeds the check's max.
 *
 * Runs only where a `prometheus` binary is on PATH (so `npm test` passes on a fresh machine);
 * `.ci/run` makes sure it is there.
 */
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Gauge, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExternalCheckSchema } from "../../contracts/external";
import { pollCheck } from "../../control/policy/external/providers";
import { startGroup } from "../../scripts/lib/processes.mjs";
import { freePort, startRouter, waitUntil, type Router } from "./harness";

/** The first executable `name` on PATH, or null. */
function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return null;
}

const PROMETHEUS = onPath("prometheus");
if (!PROMETHEUS) console.warn("prometheus.e2e: skipped, no `prometheus` binary on PATH (`apt-get install prometheus`; .ci/run installs it)");

const ROLLOUT = "queue";
const QUERY = 'sum(celery_queue_length{rollout="{{rollout}}"})';

let exporter: http.Server | undefined;
let prometheus: Awaited<ReturnType<typeof startGroup>> | undefined;
let dataDir: string | undefined;
let promUrl = "";
let router: Router | undefined;
const registry = new Registry();
const depth = new Gauge({ name: "celery_queue_length", help: "Tasks waiting in the Celery queue", labelNames: ["rollout"], registers: [registry] });

/** What the real Prometheus answers for the check's query, once it has scraped `value`. */
async function scraped(value: number): Promise<void> {
  const query = encodeURIComponent(QUERY.replace("{{rollout}}", ROLLOUT));
  await waitUntil(
    async () => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${query}`).catch(() => null);
      const body = res?.ok ? ((await res.json()) as { data: { result: Array<{ value: [number, string] }> } }) : null;
      return body?.data.result[0]?.value[1] === String(value);
    },
    { timeoutMs: 30_000, intervalMs: 200, message: `Prometheus to answer ${value}` },
  );
}

beforeAll(async () => {
  if (!PROMETHEUS) return;
  depth.set({ rollout: ROLLOUT }, 120);
  exporter = http.createServer(async (_req, res) => {
    res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
  });
  await new Promise<void>((resolve) => exporter!.listen(0, "127.0.0.1", resolve));
  const exporterPort = (exporter.address() as AddressInfo).port;
  dataDir = mkdtempSync(join(tmpdir(), "edge-router-prometheus-"));
  const config = join(dataDir, "prometheus.yml");
  writeFileSync(
    config,
    ["global:", "  scrape_interval: 1s", "scrape_configs:", "  - job_name: exporter", "    static_configs:", `      - targets: ["127.0.0.1:${exporterPort}"]`, ""].join("\n"),
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = await startGroup(
    PROMETHEUS,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dataDir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { keepOutput: 20_000 },
  );
  await scraped(120).catch((error) => {
    throw new Error(`${(error as Error).message}\n${prometheus?.output()}`);
  });
});

afterAll(async () => {
  await router?.stop();
  await prometheus?.stop();
  if (exporter) await new Promise((resolve) => exporter!.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("a real Prometheus (skipped without a prometheus binary on PATH; .ci/run installs it)", () => {
  it.skipIf(!PROMETHEUS)("pollCheck reads the real PromQL result of an instant query", async () => {
    const check = ExternalCheckSchema.parse({ name: "queue_depth", provider: "prometheus", url: promUrl, query: QUERY, max: 5000 });
    const ctx = { rolloutId: ROLLOUT, vars: {}, now: Date.now() };
    expect(await pollCheck(check, ctx, fetch, 4000)).toEqual({ ok: true, value: 120 });
    const bad = ExternalCheckSchema.parse({ ...check, query: "sum(rate(celery_queue_length[1m]" });
    expect(await pollCheck(bad, ctx, fetch, 4000)).toMatchObject({ ok: false, error: expect.stringMatching(/^Prometheus refused the query \(HTTP 400, bad_data\): /) });
  });

  it.skipIf(!PROMETHEUS)("kills a rollout under wrangler dev once the gauge exceeds max, at the alarm's next poll", async () => {
    router = await startRouter();
    const check = { name: "queue_depth", description: "celery queue depth", provider: "prometheus", url: promUrl, query: QUERY, max: 5000, intervalSeconds: 5 };
    const created = await router.admin("PUT", `/rollouts/${ROLLOUT}`, {
      match: { pathPrefixes: ["/queue"] },
      origins: router.origins,
      percent: 20,
      guard: { external: [check] },
    });
    expect(created.status).toBe(201);
    const health = async () => (await (await router!.admin("GET", `/rollouts/${ROLLOUT}/health`)).json()) as { external: { checks: Array<{ verdict: string; value: number }> } };
    await waitUntil(async () => (await health()).external.checks[0]?.verdict === "pass", { timeoutMs: 20_000, intervalMs: 250, message: "the alarm's first poll" });
    expect((await health()).external.checks[0]!.value).toBe(120);

    depth.set({ rollout: ROLLOUT }, 7000);
    await scraped(7000);
    const killed = await waitUntil(
      async () => {
        const view = (await (await router!.admin("GET", `/rollouts/${ROLLOUT}`)).json()) as { status: string; killReason: string | null };
        return view.status === "killed" && view;
      },
      { timeoutMs: 20_000, intervalMs: 250, message: "the guard to kill the rollout" },
    );
    expect(killed.killReason).toBe("guard: external queue_depth: celery queue depth 7,000 exceeds max 5,000 (1 failure, prometheus).");
  });
});
