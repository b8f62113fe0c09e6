/**
 * Reading a response body for comparison, with a hard cap on what is kept in memory. Standard
 * Web Streams only, so it runs the same in Node 20+ and workerd.
 *
 * The hash is FNV-1a 64 (Fowler, Noll, Vo; offset basis 0xcbf29ce484222325, prime 0x100000001b3,
 * see http://www.isthe.com/chongo/tech/comp/fnv/). It detects *changes* between two answers; it is
 * not a security hash and need not be: nobody gains by forging a collision between legacy's
 * and new's answer. It is chosen because it is incremental byte by byte, tiny, and computed
 * here in two unsigned 32-bit halves, without BigInt (which allocates per operation) and without
 * crypto.subtle (which cannot hash incrementally).
 */
import type { CapturedBody } from "./compare";

/** FNV-1a 64 running state, as two unsigned 32-bit halves. */
export interface Fnv64 {
  hi: number;
  lo: number;
}

const TWO_32 = 2 ** 32;

/** The state before any byte: the FNV-1a 64 offset basis. */
export function fnv64Start(): Fnv64 {
  return { hi: 0xcbf29ce4, lo: 0x84222325 };
}

/**
 * Feeds `bytes` into `state` (in place). Per byte: xor into the low half, then multiply by the
 * prime 2^40 + 0x1b3 modulo 2^64, i.e. h × 0x1b3 + (h << 40), carried across the halves.
 */
export function fnv64Update(state: Fnv64, bytes: Uint8Array): void {
  let hi = state.hi;
  let lo = state.lo;
  for (let i = 0; i < bytes.length; i++) {
    const x = (lo ^ bytes[i]!) >>> 0;
    const low = x * 0x1b3; // below 2^41: exact in a double
    const carry = Math.floor(low / TWO_32);
    lo = low >>> 0;
    // hi × 0x1b3 (mod 2^32) + carry + the low half's share of (h << 40); every term is exact.
    hi = (Math.imul(hi, 0x1b3) + carry + (x << 8)) >>> 0;
  }
  state.hi = hi;
  state.lo = lo;
}

/** The hash as 16 lowercase hex digits. */
export function fnv64Hex(state: Fnv64): string {
  return state.hi.toString(16).padStart(8, "0") + state.lo.toString(16).padStart(8, "0");
}

/** FNV-1a 64 of `bytes`, as 16 hex digits. @example fnv64Of(new TextEncoder().encode("a")) // "af63dc4c8601ec8c" */
export function fnv64Of(bytes: Uint8Array): string {
  const state = fnv64Start();
  fnv64Update(state, bytes);
  return fnv64Hex(state);
}

export interface CaptureOptions {
  /** Bytes kept (and hashed) at most; see `SHADOW_BODY_CAP_BYTES`. */
  capBytes: number;
  /** The response's content-length, if it had one: reported as the length when reading stops early. */
  declaredLength: number | null;
  /**
   * Past the cap: `true` reads on to the end to count the length (the mirror's own response,
   * which nobody else reads); `false` cancels the stream (the tee'd copy of the user's response,
   * so that the router never holds a large body back for the comparison).
   */
  drain: boolean;
  /**
   * Once this aborts (the mirror's timeout), reading stops and the capture rejects: a body that
   * has not ended by then is not compared, and its source is cancelled rather than left buffering.
   */
  signal?: AbortSignal;
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  // Always a copy: a tee'd branch shares its chunks with the body sent to the user.
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

async function countRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<number> {
  let n = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) n += r.value.byteLength;
  return n;
}

/**
 * Reads `stream` for comparison: up to `capBytes` bytes are kept and hashed; past the cap, the
 * body is marked truncated, its bytes are dropped and only the hash of its first `capBytes`
 * bytes remains (a hash over more would not be comparable with a cancelled side's), with its
 * length counted (`drain: true`) or taken from `declaredLength` (`drain: false`, cancelled).
 * A `null` stream is an empty body. Rejects if the stream errors.
 */
export async function captureBody(stream: ReadableStream<Uint8Array> | null, options: CaptureOptions): Promise<CapturedBody> {
  const { capBytes, declaredLength, drain, signal } = options;
  if (!stream) return { length: 0, prefixHash: fnv64Hex(fnv64Start()), truncated: false, bytes: new Uint8Array(0) };
  const reader = stream.getReader();
  if (signal) {
    if (signal.aborted) reader.cancel(TIMED_OUT).catch(() => {});
    else signal.addEventListener("abort", () => reader.cancel(TIMED_OUT).catch(() => {}), { once: true });
  }
  const body = await readCapped(reader, capBytes, declaredLength, drain).catch((error: unknown) => {
    throw signal?.aborted ? new Error(TIMED_OUT) : error;
  });
  // A cancelled reader ends its pending read as if the body had ended: that is not the body.
  if (signal?.aborted) throw new Error(TIMED_OUT);
  return body;
}

const TIMED_OUT = "shadow comparison timed out";

async function readCapped(reader: ReadableStreamDefaultReader<Uint8Array>, capBytes: number, declaredLength: number | null, drain: boolean): Promise<CapturedBody> {
  const hash = fnv64Start();
  const kept: Uint8Array[] = [];
  let seen = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    const chunk = r.value;
    const room = capBytes - seen;
    if (chunk.byteLength <= room) {
      fnv64Update(hash, chunk);
      kept.push(chunk);
      seen += chunk.byteLength;
      continue;
    }
    fnv64Update(hash, chunk.subarray(0, room));
    seen += chunk.byteLength;
    const prefixHash = fnv64Hex(hash);
    if (drain) return { length: seen + (await countRest(reader)), prefixHash, truncated: true };
    // Not awaited: the comparison must not wait on the source's clean-up.
    reader.cancel("shadow comparison: body over the capture cap").catch(() => {});
    // A declared length below what already arrived is wrong: report the length as unknown.
    return { length: declaredLength !== null && declaredLength >= seen ? declaredLength : null, prefixHash, truncated: true };
  }
  return { length: seen, prefixHash: fnv64Hex(hash), truncated: false, bytes: concat(kept, seen) };
}
