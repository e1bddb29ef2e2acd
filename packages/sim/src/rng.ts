/**
 * Seeded randomness. Everything the simulator does is a pure function of (prompt, seed), so a branch
 * can be replayed exactly, e.g. after a redelivery, and tests need no fixtures. The generator and the
 * hash are @ttc/stats's; the distributions the simulator draws from are here.
 */
import { fmix32, fnv1a32, type Rng } from "@ttc/stats";

/**
 * 32-bit hash of a string: FNV-1a, then the murmur3 finaliser so that strings differing only in
 * their last character (consecutive seeds) still land far apart.
 */
export function hashString(text: string): number {
  return fmix32(fnv1a32(text));
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
