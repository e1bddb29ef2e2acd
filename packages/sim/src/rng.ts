/**
 * Seeded randomness. Everything the simulator does is a pure function of (prompt, seed), so a branch
 * can be replayed exactly, e.g. after a redelivery, and tests need no fixtures.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * 32-bit hash of a string: FNV-1a over UTF-16 code units, then the murmur3 finaliser so that
 * strings differing only in their last character (consecutive seeds) still land far apart.
 */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: tiny, fast and good enough for synthetic traffic (not for cryptography). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [lo, hi], both inclusive. */
export function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** Standard normal deviate by Box–Muller (one of the pair; the other is dropped for simplicity). */
export function gaussian(rng: Rng): number {
  const u1 = 1 - rng(); // in (0, 1], so the log is finite
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Index in [0, n) with Zipf weights 1/(k+1): the first index is the most likely. */
export function zipfIndex(rng: Rng, n: number): number {
  let total = 0;
  for (let k = 1; k <= n; k++) total += 1 / k;
  let r = rng() * total;
  for (let k = 1; k < n; k++) {
    r -= 1 / k;
    if (r < 0) return k - 1;
  }
  return n - 1;
}
