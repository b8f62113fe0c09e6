/**
 * An origin that reads each request completely, then drops the connection without answering: the
 * request may have been acted on, so the router must not repeat it elsewhere unless it is safe.
 * `GET /__count` answers how many requests it dropped, by method.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export async function startDropOrigin(): Promise<{ url: string; close: () => Promise<void> }> {
  const dropped: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    if (req.url === "/__count") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(dropped));
      return;
    }
    req.on("data", () => {});
    req.on("end", () => {
      dropped[req.method ?? "?"] = (dropped[req.method ?? "?"] ?? 0) + 1;
      req.socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
