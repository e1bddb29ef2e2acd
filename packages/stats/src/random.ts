/**
 * Seeded uniform random numbers: the same seed always gives the same stream, so simulated traffic,
 * Monte Carlo estimates, bootstrap intervals, test models and replay orders can be reproduced exactly.
 * Not for cryptography.
 */
import { fmix32, GOLDEN_RATIO_32 } from "./hash.js";

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger): 32 bits of state, a Weyl step then an xorshift-multiply output mix.
 * Tiny, fast and good enough for simulation; the generator of everything seeded in this tree except
 * replay orders (see {@link splitmix32}). The seed is taken modulo 2^32.
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * splitmix32: a golden-ratio Weyl sequence passed through the murmur3 finaliser ({@link fmix32}).
 * It orders replayed branches (`replayOrder` in @ttc/corpus); it stays next to mulberry32 rather
 * than being replaced by it because every recorded evaluation's branch order depends on it. The seed
 * is taken modulo 2^32.
 */
export function splitmix32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + GOLDEN_RATIO_32) >>> 0;
    return fmix32(state) / 2 ** 32;
  };
}
