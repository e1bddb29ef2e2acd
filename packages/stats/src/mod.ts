/**
 * @ttc/stats: seeded random numbers, seed hashing and sample summaries, one definition of each for
 * the whole tree. Pure: no I/O, no clocks, no unseeded randomness.
 */
export { mulberry32, splitmix32, type Rng } from "./random.js";
export {
  fmix32,
  FMIX32_MULTIPLIER_1,
  FMIX32_MULTIPLIER_2,
  fnv1a32,
  GOLDEN_PRIME_32,
  GOLDEN_RATIO_32,
  xorMultiply,
  xorShift,
} from "./hash.js";
export { mean, quantile } from "./summary.js";
