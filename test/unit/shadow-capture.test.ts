import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { captureBody, fnv64Hex, fnv64Of, fnv64Start, fnv64Update } from "../../edge/shadow/capture";

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** FNV-1a 64 written the obvious way, with BigInt: the reference the fast version must equal. */
function fnvReference(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, "0");
}

/** A body of `total` bytes (byte i = i mod 251), produced in CHUNK pieces on demand, watching what its reader does. */
function source(total: number) {
  const seen = { pulls: 0, cancelled: false, produced: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.pulls++;
        const n = Math.min(CHUNK, total - seen.produced);
        const chunk = new Uint8Array(n);
        for (let i = 0; i < n; i++) chunk[i] = (seen.produced + i) % 251;
        seen.produced += n;
        controller.enqueue(chunk);
        if (seen.produced >= total) controller.close();
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, seen };
}

function bytesOf(total: number): Uint8Array {
  const out = new Uint8Array(total);
  for (let i = 0; i < total; i++) out[i] = i % 251;
  return out;
}

/** Byte equality without a deep-equality walk over millions of elements. */
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function chunked(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces = [0, ...points, bytes.length].flatMap((start, i, all) => (i + 1 < all.length ? [bytes.slice(start, all[i + 1])] : []));
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
}

describe("FNV-1a 64", () => {
  it.each([
    ["", "cbf29ce484222325"],
    ["a", "af63dc4c8601ec8c"],
    ["foobar", "85944171f73967e8"],
  ])("hashes %j to the published test vector %s", (text, expected) => {
    expect(fnv64Of(new TextEncoder().encode(text))).toBe(expected);
  });

  it("equals a BigInt reference on any bytes, however they are split", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const state = fnv64Start();
        fnv64Update(state, bytes.subarray(0, cut));
        fnv64Update(state, bytes.subarray(cut));
        expect(fnv64Hex(state)).toBe(fnvReference(bytes));
      }),
    );
  });
});

describe("captureBody", () => {
  it("keeps a body under the cap whole, whatever its chunking", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat()), async (bytes, cuts) => {
        const body = await captureBody(chunked(bytes, cuts), { capBytes: 2000, declaredLength: null, drain: false });
        expect(body).toEqual({ length: bytes.length, prefixHash: fnvReference(bytes), truncated: false, bytes });
      }),
    );
  });

  it("keeps a body of exactly the cap whole", async () => {
    const body = await captureBody(source(3 * CHUNK).stream, { capBytes: 3 * CHUNK, declaredLength: null, drain: false });
    expect(body.truncated).toBe(false);
    expect(sameBytes(body.bytes!, bytesOf(3 * CHUNK))).toBe(true);
  });

  it("cancels a 3 MiB body past the cap instead of reading it to the end (drain: false)", async () => {
    const { stream, seen } = source(3 * MiB);
    const body = await captureBody(stream, { capBytes: MiB, declaredLength: 3 * MiB, drain: false });
    expect(seen.cancelled).toBe(true);
    expect(seen.produced).toBeLessThan(3 * MiB);
    expect(seen.pulls).toBeLessThanOrEqual(MiB / CHUNK + 2);
    expect(body).toEqual({ length: 3 * MiB, prefixHash: fnvReference(bytesOf(MiB)), truncated: true });
  });

  it("reports an unknown length when cancelled without a believable content-length", async () => {
    const none = await captureBody(source(3 * MiB).stream, { capBytes: MiB, declaredLength: null, drain: false });
    expect(none.length).toBeNull();
    const lie = await captureBody(source(3 * MiB).stream, { capBytes: MiB, declaredLength: 10, drain: false });
    expect(lie.length).toBeNull();
  });

  it("reads the mirror's own large body to the end to count it, keeping only the prefix hash (drain: true)", async () => {
    const { stream, seen } = source(3 * MiB + 5);
    const body = await captureBody(stream, { capBytes: MiB, declaredLength: null, drain: true });
    expect(seen.cancelled).toBe(false);
    expect(seen.produced).toBe(3 * MiB + 5);
    expect(body).toEqual({ length: 3 * MiB + 5, prefixHash: fnvReference(bytesOf(MiB)), truncated: true });
  });

  it("lets the user's branch of a tee receive the whole body after the comparison branch gives up", async () => {
    const { stream, seen } = source(3 * MiB);
    const [user, comparison] = stream.tee();
    const captured = captureBody(comparison, { capBytes: MiB, declaredLength: null, drain: false });
    const delivered = new Uint8Array(await new Response(user).arrayBuffer());
    expect((await captured).truncated).toBe(true);
    expect(delivered.length).toBe(3 * MiB);
    expect(sameBytes(delivered, bytesOf(3 * MiB))).toBe(true);
    expect(seen.cancelled).toBe(false);
  });

  it("treats a missing body as empty and rejects when the body fails mid-way", async () => {
    expect(await captureBody(null, { capBytes: 10, declaredLength: null, drain: true })).toEqual({
      length: 0,
      prefixHash: fnvReference(new Uint8Array(0)),
      truncated: false,
      bytes: new Uint8Array(0),
    });
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2]));
        controller.error(new Error("connection reset"));
      },
    });
    await expect(captureBody(broken, { capBytes: 10, declaredLength: null, drain: true })).rejects.toThrow("connection reset");
  });

  it("rejects, and cancels its source, when the signal aborts before the body ends (never a short body)", async () => {
    let cancelled: unknown;
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2, 3]));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const abort = new AbortController();
    const capture = captureBody(stalled, { capBytes: 10, declaredLength: null, drain: false, signal: abort.signal });
    setTimeout(() => abort.abort(), 10);
    await expect(capture).rejects.toThrow("shadow comparison timed out");
    expect(cancelled).toBe("shadow comparison timed out");
  });

  it("rejects at once under a signal already aborted, and keeps a body that ended before the abort", async () => {
    const aborted = AbortSignal.abort();
    await expect(captureBody(source(CHUNK).stream, { capBytes: MiB, declaredLength: null, drain: false, signal: aborted })).rejects.toThrow("timed out");
    const abort = new AbortController();
    const body = await captureBody(source(CHUNK).stream, { capBytes: MiB, declaredLength: null, drain: false, signal: abort.signal });
    abort.abort();
    expect(body).toMatchObject({ length: CHUNK, truncated: false });
  });
});
