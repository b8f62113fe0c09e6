/**
 * The fake metric providers of test/support/fake-metrics.ts, made usable from inside workerd: the
 * workerd tests cannot call a Node object, so this loopback server starts a fresh fake per request
 * (each test its own, whatever runs beside it) and sets its answers over HTTP.
 *
 *   POST /start/prometheus | /start/web | /start/datadog ({ apiKey, appKey })   → { id, url }
 *   POST /<id>/<setter>   body: the setter's arguments as a JSON array (setVector, setScalar, setError,
 *                         setRaw, setSeries, setQueryError, setJson), or { "delayMs": n } to /<id>/delay
 *   GET  /<id>/requests   what the fake received, oldest first
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startFakeDatadog, startFakePrometheus, startFakeWeb, type FakeServer } from "../support/fake-metrics";

const SETTERS = new Set(["setVector", "setScalar", "setError", "setRaw", "setSeries", "setQueryError", "setJson"]);

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : undefined;
}

export async function startFakeMetricsControl(): Promise<{ url: string; close: () => Promise<void> }> {
  const fakes = new Map<string, FakeServer>();
  const start = async (kind: string, body: unknown): Promise<FakeServer | undefined> => {
    if (kind === "prometheus") return startFakePrometheus();
    if (kind === "web") return startFakeWeb();
    if (kind === "datadog") return startFakeDatadog(body as { apiKey: string; appKey: string });
    return undefined;
  };

  const server = http.createServer(async (req, res) => {
    const reply = (status: number, value: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    try {
      const [, first, second] = (req.url ?? "").split("/");
      const body = await readBody(req);
      if (req.method === "POST" && first === "start") {
        const fake = await start(second ?? "", body);
        if (!fake) return reply(404, { error: `no fake named ${second}` });
        const id = crypto.randomUUID();
        fakes.set(id, fake);
        return reply(200, { id, url: fake.url });
      }
      const fake = fakes.get(first ?? "");
      if (!fake) return reply(404, { error: "no such fake" });
      if (req.method === "GET" && second === "requests") return reply(200, fake.requests);
      if (req.method === "POST" && second === "delay") {
        fake.delayMs = (body as { delayMs: number }).delayMs;
        return reply(200, { ok: true });
      }
      if (req.method === "POST" && second && SETTERS.has(second)) {
        (fake as unknown as Record<string, (...args: unknown[]) => void>)[second]!(...(body as unknown[]));
        return reply(200, { ok: true });
      }
      return reply(404, { error: `unknown request ${req.method} ${req.url}` });
    } catch (error) {
      return reply(500, { error: String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await Promise.all([...fakes.values()].map((f) => f.stop()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
