/**
 * Bucketing hash, published so that any tool can predict a user's bucket.
 *
 * Spec version 1 (`HASH_SPEC_VERSION = 1`):
 *
 *     bucket = murmur3_x86_32(utf8(salt + ":" + userId), seed = 0) mod 10000
 *
 * where murmur3_x86_32 is Austin Appleby's MurmurHash3, x86 32-bit variant, read as an
 * unsigned 32-bit integer. A user is in the new variant when `bucket < round(percent * 100)`.
 * Test vectors live in `test/fixtures/hash-vectors.json`.
 *
 * Never change this function in place: a new algorithm is a new spec version with its own
 * function and vectors, selected explicitly, so that no user silently changes variant.
 *
 * No I/O, no clock, no randomness.
 */

/** The version of the bucketing specification implemented by {@link bucketOf}. */
export const HASH_SPEC_VERSION = 1;

/** Number of buckets a rollout's users are spread over; a percentage point is 100 buckets. */
export const BUCKET_COUNT = 10_000;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * MurmurHash3's running state between bytes: the hash so far, the partial 4-byte block, how many
 * bits of it are filled, and the bytes consumed. Plain data, so that a rollout can hash its salt
 * once and start every user's hash from there.
 */
export interface HashState {
  readonly h: number;
  readonly k: number;
  readonly shift: number;
  readonly length: number;
}

/** The running state of the general (UTF-8) path: a local object per call, never shared. */
interface Running {
  h: number;
  k: number;
  shift: number;
  length: number;
}

function pushByte(r: Running, byte: number): void {
  r.k |= byte << r.shift;
  r.shift += 8;
  r.length++;
  if (r.shift === 32) {
    let k = Math.imul(r.k, C1);
    k = (k << 15) | (k >>> 17);
    r.h ^= Math.imul(k, C2);
    r.h = (r.h << 13) | (r.h >>> 19);
    r.h = (Math.imul(r.h, 5) + 0xe6546b64) | 0;
    r.k = 0;
    r.shift = 0;
  }
}

/**
 * Feeds the UTF-8 bytes of `text` (produced on the fly, no TextEncoder allocation). The general
 * path: salts (once per rollout) and non-ASCII ids; ASCII ids take `hashFrom`'s fast path.
 */
function feed(r: Running, text: string): void {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      pushByte(r, code);
    } else if (code < 0x800) {
      pushByte(r, 0xc0 | (code >> 6));
      pushByte(r, 0x80 | (code & 0x3f));
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      code = 0x10000 + ((code - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00);
      i++;
      pushByte(r, 0xf0 | (code >> 18));
      pushByte(r, 0x80 | ((code >> 12) & 0x3f));
      pushByte(r, 0x80 | ((code >> 6) & 0x3f));
      pushByte(r, 0x80 | (code & 0x3f));
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate is encoded as U+FFFD, as TextEncoder does.
      pushByte(r, 0xef);
      pushByte(r, 0xbf);
      pushByte(r, 0xbd);
    } else {
      pushByte(r, 0xe0 | (code >> 12));
      pushByte(r, 0x80 | ((code >> 6) & 0x3f));
      pushByte(r, 0x80 | (code & 0x3f));
    }
  }
}

function finalize(h: number, k: number, shift: number, length: number): number {
  if (shift > 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The hash of the bytes behind `state` followed by `text`. ASCII (nearly every user id) runs in
 * local variables, the fast path; any other character restarts on the general UTF-8 path.
 */
function hashFrom(state: HashState, text: string): number {
  let h = state.h;
  let k = state.k;
  let shift = state.shift;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) {
      const r: Running = { h: state.h, k: state.k, shift: state.shift, length: state.length };
      feed(r, text);
      return finalize(r.h, r.k, r.shift, r.length);
    }
    k |= code << shift;
    shift += 8;
    if (shift === 32) {
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, C2);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      k = 0;
      shift = 0;
    }
  }
  return finalize(h, k, shift, state.length + n);
}

const EMPTY_STATE: HashState = { h: 0, k: 0, shift: 0, length: 0 };

/** MurmurHash3 x86 32-bit over the UTF-8 encoding of `text`, as an unsigned integer. */
export function murmur3(text: string, seed = 0): number {
  return hashFrom(seed === 0 ? EMPTY_STATE : { h: seed | 0, k: 0, shift: 0, length: 0 }, text);
}

/** The hash state after `salt + ":"`: computed once per rollout, then continued per user. */
export function saltState(salt: string): HashState {
  const r: Running = { h: 0, k: 0, shift: 0, length: 0 };
  feed(r, salt);
  feed(r, ":");
  return r;
}

/** The bucket of `userId` continuing from a rollout's precomputed {@link saltState}. */
export function bucketFrom(state: HashState, userId: string): number {
  return hashFrom(state, userId) % BUCKET_COUNT;
}

/**
 * The bucket (0 to 9,999) of `userId` in a rollout salted with `salt`.
 *
 * @example bucketOf("checkout-v2", "user-42") // always the same number for this pair
 */
export function bucketOf(salt: string, userId: string): number {
  return bucketFrom(saltState(salt), userId);
}

/**
 * The number of buckets in the new variant at `percent` (0-100, steps of 0.01).
 * Rounding guards against binary floating point: 14.29 → 1429, never 1428.
 */
export function thresholdOf(percent: number): number {
  return Math.round(percent * 100);
}
