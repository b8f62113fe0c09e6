/**
 * A webhook receiver as an operator would run one: a real HTTP server on loopback that checks
 * every delivery's signature itself, with node:crypto (not with the router's code), and keeps
 * what it received for the tests to read. Also usable from the e2e tests.
 *
 *   POST /hooks/<name>      verifies, records, answers 200
 *   POST /flaky/<name>      verifies, records, answers 503 to the first two deliveries of <name>, then 200
 *   GET  /received/hooks/<name>, /received/flaky/<name>   what that path received, oldest first (ReceivedDelivery[])
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request the receiver got. */
export interface ReceivedDelivery {
  headers: Record<string, string>;
  /** The body exactly as received. */
  raw: string;
  /** The body parsed, or null if it was not JSON. */
  body: Record<string, unknown> | null;
  /** The signature matched HMAC-SHA256(secret, timestamp + "." + raw). */
  verified: boolean;
  /** What the receiver answered. */
  status: number;
}

/** How many deliveries a flaky receiver refuses before it accepts one. */
export const FLAKY_FAILURES = 2;

/** Whether `signature` (`sha256=<hex>`) signs `timestamp.raw` with `secret`, compared in constant time. */
export function verifySignature(secret: string, timestamp: string, raw: string, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(`${timestamp}.${raw}`).digest("hex")}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `received("hooks/ops")`: what POST /hooks/ops received. */
export async function startWebhookReceiver(secret: string): Promise<{ url: string; received: (path: string) => ReceivedDelivery[]; close: () => Promise<void> }> {
  const received = new Map<string, ReceivedDelivery[]>();
  const log = (name: string) => {
    const list = received.get(name) ?? [];
    received.set(name, list);
    return list;
  };

  const server = http.createServer(async (req, res) => {
    const [, kind, name, rest] = (req.url ?? "").split("/");
    if (req.method === "GET" && kind === "received" && name && rest) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(log(`${name}/${rest}`)));
      return;
    }
    if (req.method !== "POST" || !name || (kind !== "hooks" && kind !== "flaky")) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    let body: Record<string, unknown> | null = null;
    try {
      body = JSON.parse(raw);
    } catch {}
    const list = log(`${kind}/${name}`);
    const verified = verifySignature(secret, headers["x-edge-router-timestamp"] ?? "", raw, headers["x-edge-router-signature"] ?? "");
    const status = kind === "flaky" && list.length < FLAKY_FAILURES ? 503 : verified ? 200 : 401;
    list.push({ headers, raw, body, verified, status });
    res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "no");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: (path) => log(path),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
