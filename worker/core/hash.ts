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
 * MurmurHash3 x86 32-bit over the UTF-8 encoding of `text`, as an unsigned integer.
 * The UTF-8 bytes are produced on the fly (no TextEncoder allocation per call).
 */
export function murmur3(text: string, seed = 0): number {
  let h = seed | 0;
  let k = 0; // bytes of the current 4-byte block, little-endian
  let shift = 0; // bits already in k
  let length = 0; // bytes consumed

  const mix = (byte: number): void => {
    k |= byte << shift;
    shift += 8;
    length++;
    if (shift === 32) {
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, C2);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      k = 0;
      shift = 0;
    }
  };

  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      mix(code);
    } else if (code < 0x800) {
      mix(0xc0 | (code >> 6));
      mix(0x80 | (code & 0x3f));
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
        mix(0xf0 | (code >> 18));
        mix(0x80 | ((code >> 12) & 0x3f));
        mix(0x80 | ((code >> 6) & 0x3f));
        mix(0x80 | (code & 0x3f));
      } else {
        // Lone high surrogate: encoded as U+FFFD, like TextEncoder does.
        mix(0xef);
        mix(0xbf);
        mix(0xbd);
      }
    } else if (code >= 0xd800 && code <= 0xdfff) {
      mix(0xef);
      mix(0xbf);
      mix(0xbd);
    } else {
      mix(0xe0 | (code >> 12));
      mix(0x80 | ((code >> 6) & 0x3f));
      mix(0x80 | (code & 0x3f));
    }
  }

  if (shift > 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
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
 * The bucket (0 to 9,999) of `userId` in a rollout salted with `salt`.
 *
 * @example bucketOf("checkout-v2", "user-42") // always the same number for this pair
 */
export function bucketOf(salt: string, userId: string): number {
  return murmur3(`${salt}:${userId}`) % BUCKET_COUNT;
}

/**
 * The number of buckets in the new variant at `percent` (0-100, steps of 0.01).
 * Rounding guards against binary floating point: 14.29 → 1429, never 1428.
 */
export function thresholdOf(percent: number): number {
  return Math.round(percent * 100);
}
