/**
 * 32-bit hash mixing: the few primitives every seed in the tree is derived from (a string hash, the
 * murmur3 finaliser, and the xor-multiply and xor-shift steps they are made of), with their
 * constants named once. Not for cryptography.
 */

/** ⌊2^32 / φ⌋: the golden-ratio increment of Weyl sequences (splitmix), also a common initial hash. */
export const GOLDEN_RATIO_32 = 0x9e3779b9;

/** The prime nearest 2^32 / φ (Knuth's multiplicative hashing): spreads consecutive integers over 32 bits. */
export const GOLDEN_PRIME_32 = 0x9e3779b1;

/** The first multiplier of murmur3's 32-bit finaliser. */
export const FMIX32_MULTIPLIER_1 = 0x85ebca6b;

/** The second multiplier of murmur3's 32-bit finaliser. */
export const FMIX32_MULTIPLIER_2 = 0xc2b2ae35;

/** `h ^ (h >>> shift)` as an unsigned 32-bit integer: folds high bits into low ones. */
export function xorShift(h: number, shift: number): number {
  return (h ^ (h >>> shift)) >>> 0;
}

/**
 * `(h ^ value) * multiplier` modulo 2^32, unsigned: mixes `value` (taken as a 32-bit integer) into `h`,
 * the multiplication carrying every low bit up into the high ones.
 */
export function xorMultiply(h: number, value: number, multiplier: number): number {
  return Math.imul(h ^ value, multiplier) >>> 0;
}

/**
 * The murmur3 32-bit finaliser (fmix32): a bijection on 32-bit integers with full avalanche, so inputs
 * that differ in one bit (consecutive seeds, indices) give unrelated outputs.
 */
export function fmix32(h: number): number {
  h = xorMultiply(h, h >>> 16, FMIX32_MULTIPLIER_1);
  h = xorMultiply(h, h >>> 13, FMIX32_MULTIPLIER_2);
  return xorShift(h, 16);
}

/** 32-bit FNV-1a over the UTF-16 code units of `text`, unsigned. Strings that end alike need {@link fmix32} after it. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
