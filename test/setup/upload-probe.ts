/**
 * An origin that receives request bodies the way a streaming backend does: it counts and hashes
 * each chunk as it arrives and keeps nothing else, and it tells a test, on a side channel, how
 * much of an upload it has received so far. That is how the workerd tests prove the router
 * forwards a body while the client is still sending it, instead of buffering it first.
 *
 *   PUT|POST /__probe/upload/<id>    reads the body: answers { bytes, chunks, sha256 } at its end
 *   GET      /__probe/progress/<id>  { bytes, chunks, done } of upload <id> so far (zeros if unseen)
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** What the probe knows about one upload. */
export interface UploadProgress {
  bytes: number;
  chunks: number;
  done: boolean;
}

/** The probe's answer to an upload, once the body has ended. */
export interface UploadReceipt {
  bytes: number;
  chunks: number;
  /** SHA-256 of the body, lowercase hex. */
  sha256: string;
}

/** Forget an upload's progress this long after it ended (the tests read it right away). */
const PROGRESS_TTL_MS = 60_000;

export async function startUploadProbe(): Promise<{ url: string; close: () => Promise<void> }> {
  const uploads = new Map<string, UploadProgress>();

  async function receive(id: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const progress: UploadProgress = { bytes: 0, chunks: 0, done: false };
    uploads.set(id, progress);
    const hash = createHash("sha256");
    for await (const chunk of req as AsyncIterable<Buffer>) {
      progress.bytes += chunk.length;
      progress.chunks++;
      hash.update(chunk);
    }
    progress.done = true;
    setTimeout(() => uploads.delete(id), PROGRESS_TTL_MS).unref();
    const receipt: UploadReceipt = { bytes: progress.bytes, chunks: progress.chunks, sha256: hash.digest("hex") };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(receipt));
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://probe.local");
    const upload = url.pathname.match(/^\/__probe\/upload\/([\w-]+)$/);
    const progress = url.pathname.match(/^\/__probe\/progress\/([\w-]+)$/);
    if (upload && req.method !== "GET") {
      // A client that goes away mid-upload is not the probe's error.
      receive(upload[1]!, req, res).catch(() => res.destroy());
    } else if (progress && req.method === "GET") {
      const seen = uploads.get(progress[1]!) ?? { bytes: 0, chunks: 0, done: false };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(seen));
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("upload probe: no such route\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
