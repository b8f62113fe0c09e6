/**
 * A large upload through the router, to an origin that counts and hashes the bytes as they arrive
 * and keeps none (test/setup/upload-probe.ts): every byte arrives, in order, and the router passes
 * them on while the client is still sending, so it never holds the body.
 */
import { describe, expect, it } from "vitest";
import { proxied, resetDefault } from "./helpers";
import { hex, probeOrigin, waitForUpload, type UploadProgress, type UploadReceipt } from "./probe";

const MIB = 1024 * 1024;
const TOTAL_BYTES = 64 * MIB;
const CHUNK_BYTES = 64 * 1024;
/** Where the client stops sending until the origin has everything sent so far. */
const PAUSE_AT = TOTAL_BYTES / 2;

/** Pseudo-random bytes (xorshift32), so that a dropped, repeated or reordered chunk changes the hash. */
function chunkAt(index: number): Uint8Array {
  const words = new Uint32Array(CHUNK_BYTES / 4);
  let x = (index + 1) * 2654435761;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer);
}

describe("a 64 MiB streamed upload", () => {
  it("reaches the origin whole and in order, and the origin has every byte sent so far while the client still holds the second half", { timeout: 120_000 }, async () => {
    await resetDefault({ percent: 0, origins: { legacy: probeOrigin(), new: probeOrigin() } });
    const id = `big-${crypto.randomUUID()}`;
    const digest = new crypto.DigestStream("SHA-256");
    const hashed = digest.getWriter();
    let sent = 0;
    let atPause: UploadProgress | undefined;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // A router that buffered the body would deliver nothing here, and the wait would time out.
        if (sent === PAUSE_AT) atPause = await waitForUpload(id, PAUSE_AT, 10_000);
        const chunk = chunkAt(sent / CHUNK_BYTES);
        await hashed.write(chunk.slice());
        controller.enqueue(chunk);
        sent += chunk.length;
        if (sent === TOTAL_BYTES) {
          controller.close();
          await hashed.close();
        }
      },
    });
    const res = await proxied(`/__probe/upload/${id}`, { method: "PUT", user: "uploader", body, headers: { "content-type": "application/octet-stream" } });
    expect(res.status).toBe(200);
    const receipt = await res.json<UploadReceipt>();
    expect(receipt.bytes).toBe(TOTAL_BYTES);
    expect(receipt.sha256).toBe(hex(await digest.digest));
    expect(atPause).toEqual({ bytes: PAUSE_AT, chunks: expect.any(Number), done: false });
  });
});
