// A small origin server for the demo, the tests and the benchmarks: it names itself on every
// page and echoes what it received, so you can see where the router sent a request and how.
//
//   GET  /anything              HTML page naming the origin, with the x-rollout-* headers it got
//   GET  /anything (Accept: application/json, or ?format=json)
//                               JSON echo: origin, method, path, query, headers, body
//   POST/PUT/...                the same echo, with the request body
//   GET  /__origin/redirect     302 to /__origin/landed
//   GET  /__origin/cookies      two Set-Cookie headers
//   GET  /__origin/stream?chunks=N&delayMs=M   a chunked body sent over time
//   GET  /__origin/status/NNN   answers with that status
//   GET  /__origin/bytes?n=N    N bytes of text (benchmarks)
//   GET  /__origin/catalog      JSON { items: [{ id, name, price }×5], meta: { requestId } }: the same
//                               items from every origin (keys in another order on "new"), a fresh
//                               requestId each time (for shadow comparisons; see catalogDrift)
//   GET  /__origin/gzip         the catalog's items (with catalogDrift), gzip-encoded (content-encoding: gzip)
//   GET  /__origin/received     with `record`: the requests this origin received, oldest first
//   DELETE /__origin/received   with `record`: forget them
//   WebSocket upgrade anywhere  echoes each message as "<origin>: <message>"
//
// Every response carries `x-origin: <name>`.
import http from "node:http";
import { gzipSync } from "node:zlib";
import { WebSocketServer } from "ws";

/** Most requests an origin with `record` keeps (the oldest are dropped). */
const MAX_RECORDED = 1000;

/** The catalog every origin serves at /__origin/catalog, before any drift. */
const CATALOG = [
  { id: 0, name: "kettle", price: 24.9 },
  { id: 1, name: "teapot", price: 31.5 },
  { id: 2, name: "mug", price: 7.25 },
  { id: 3, name: "saucer", price: 4.1 },
  { id: 4, name: "tray", price: 18 },
];

/** @param {string} name @param {number} drift */
function catalogBody(name, drift) {
  const items = CATALOG.map((item) => (item.id === 2 ? { ...item, price: Number((item.price + drift).toFixed(2)) } : item));
  const meta = { requestId: crypto.randomUUID() };
  // Another key order on "new": a structural comparison must not care.
  return JSON.stringify(name === "new" ? { meta, items: items.map(({ price, name: n, id }) => ({ price, name: n, id })) } : { items, meta });
}

/**
 * @param {{ name: string, port?: number, host?: string, failEvery?: number, delayMs?: number, catalogDrift?: number, answerStatus?: number, hang?: boolean, record?: boolean, onRequest?: (r: { method: string, url: string, headers: http.IncomingHttpHeaders, at: number }) => void }} options
 *   failEvery: every Nth echo request answers 503 (a flaky backend); delayMs: added to every answer (a slow one);
 *   catalogDrift: added to the price of catalog item 2 (a new backend that disagrees at /items/2/price);
 *   answerStatus: every request answered with this status (a backend that 500s); hang: no request is
 *   ever answered (a backend that hangs); record: keep the requests received, served at /__origin/received
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void>, server: http.Server }>}
 */
export async function startOrigin({ name, port = 0, host = "127.0.0.1", failEvery = 0, delayMs = 0, catalogDrift = 0, answerStatus = 0, hang = false, record = false, onRequest }) {
  let served = 0;
  /** @type {Array<{ method: string, url: string, headers: http.IncomingHttpHeaders, at: number }>} */
  const received = [];
  const wss = new WebSocketServer({ noServer: true });
  wss.on("connection", (socket) => {
    socket.on("message", (data, isBinary) => socket.send(isBinary ? data : `${name}: ${data.toString()}`));
  });

  const server = http.createServer((req, res) => {
    // A client that goes away mid-request (a router timing out) is not an error of the origin.
    serve(req, res).catch(() => res.destroy());
  });

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function serve(req, res) {
    const at = Date.now();
    // Concatenated, not resolved: a path like //checkout must stay a path, not become a host.
    const url = new URL(`http://origin.local${req.url ?? "/"}`);
    res.setHeader("x-origin", name);
    if (record && url.pathname === "/__origin/received") {
      if (req.method === "DELETE") received.length = 0;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received));
      return;
    }
    const hit = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, at };
    onRequest?.(hit);
    if (record) {
      received.push(hit);
      if (received.length > MAX_RECORDED) received.shift();
    }
    if (hang) return; // never answered; close() ends the connection
    if (answerStatus) {
      res.writeHead(answerStatus, { "content-type": "text/plain" }).end(`${name} always answers ${answerStatus}\n`);
      return;
    }
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));

    if (url.pathname === "/__origin/redirect") {
      res.writeHead(302, { location: "/__origin/landed" }).end();
      return;
    }
    if (url.pathname === "/__origin/catalog") {
      const body = catalogBody(name, catalogDrift);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(req.method === "HEAD" ? undefined : body);
      return;
    }
    if (url.pathname === "/__origin/gzip") {
      const items = CATALOG.map((item) => (item.id === 2 ? { ...item, price: Number((item.price + catalogDrift).toFixed(2)) } : item));
      const body = gzipSync(JSON.stringify({ items }));
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": body.length }).end(body);
      return;
    }
    if (url.pathname === "/__origin/cookies") {
      res.setHeader("set-cookie", [`a=1; Path=/`, `b=2; Path=/; HttpOnly`]);
      res.writeHead(200, { "content-type": "text/plain" }).end("two cookies\n");
      return;
    }
    if (url.pathname === "/__origin/stream") {
      const chunks = Number(url.searchParams.get("chunks") ?? 3);
      const delayMs = Number(url.searchParams.get("delayMs") ?? 50);
      res.writeHead(200, { "content-type": "text/plain" });
      for (let i = 0; i < chunks; i++) {
        res.write(`${name} chunk ${i} at ${Date.now()}\n`);
        await new Promise((r) => setTimeout(r, delayMs));
      }
      res.end();
      return;
    }
    const status = url.pathname.match(/^\/__origin\/status\/(\d{3})$/);
    if (status) {
      res.writeHead(Number(status[1]), { "content-type": "text/plain" }).end(`${name} answered ${status[1]}\n`);
      return;
    }
    if (url.pathname.endsWith("/__origin/bytes")) {
      const n = Math.min(Number(url.searchParams.get("n") ?? 1024), 10_000_000);
      const body = `${name} `.padEnd(n, "x");
      res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) }).end(body);
      return;
    }

    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    if (failEvery && ++served % failEvery === 0) {
      res.writeHead(503, { "content-type": "text/plain" }).end(`${name} failed on purpose (every ${failEvery}th request)\n`);
      return;
    }
    const body = Buffer.concat(chunks).toString("utf8");
    const rollout = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith("x-rollout-")));
    const wantsJson = (req.headers.accept ?? "").includes("application/json") || url.searchParams.get("format") === "json";
    if (wantsJson || req.method !== "GET") {
      const echo = { origin: name, method: req.method, path: url.pathname, query: url.search, headers: req.headers, body };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(echo) + "\n");
      return;
    }
    const rows = Object.entries(rollout)
      .map(([k, v]) => `<tr><td><code>${escapeHtml(k)}</code></td><td><code>${escapeHtml(String(v))}</code></td></tr>`)
      .join("");
    const color = name === "new" ? "#0a7d3b" : "#8a5a00";
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(name)} origin</title></head>
<body style="font-family: system-ui, sans-serif; margin: 2rem">
<h1 style="color: ${color}">You reached the <em>${escapeHtml(name)}</em> origin</h1>
<p>${escapeHtml(req.method ?? "GET")} <code>${escapeHtml(url.pathname + url.search)}</code></p>
<h2>x-rollout-* headers received</h2>
<table>${rows || "<tr><td>(none: this request did not come through edge-router)</td></tr>"}</table>
</body></html>
`);
  }

  server.on("upgrade", (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  server.keepAliveTimeout = 65_000;

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    server,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A loopback port nobody listens on (for "origin unreachable" cases). */
export async function closedPort() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return port;
}
