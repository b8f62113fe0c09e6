/** murmurhash3js ships no types; the hash cross-check only calls x86.hash32. */
declare module "murmurhash3js";
