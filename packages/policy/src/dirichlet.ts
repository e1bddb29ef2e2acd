/**
 * The Dirichlet stopping criterion of Adaptive-Consistency: the posterior probability that the
 * leading answer has the largest share, with answer shares ~ Dirichlet(counts + 1). There is no
 * closed form for more than two answers, so it is estimated by a fixed, seeded Monte Carlo: the same
 * counts always give the same probability.
 */

import { FMIX32_MULTIPLIER_1, GOLDEN_RATIO_32, mulberry32, xorMultiply } from "@ttc/stats";
import { probabilityLeaderIsMajority } from "./beta.js";

const SAMPLES = 4000;

/** Added to each count as it is mixed into the seed (the low word of the 64-bit golden ratio); part of the seed, so fixed. */
const COUNT_OFFSET = 0x7f4a7c15;

/** P(share of answer 0 is the largest) under Dirichlet(counts + 1); counts sorted leader first. */
export function probabilityLeaderIsLargest(counts: readonly number[]): number {
  if (counts.length === 0) return 0;
  if (counts.length === 1) return 1 - 0.5 ** (counts[0]! + 1); // the Beta(n+1, 1) case: a lone unseen rival
  // Two answers: the leader's share is Beta(c0 + 1, c1 + 1), so the exact Beta criterion applies (the
  // Monte Carlo estimate is off by up to 0.02 here, enough to flip a 0.95 decision, e.g. 12 against 5).
  if (counts.length === 2) return probabilityLeaderIsMajority(counts[0]!, counts[1]!);
  // Seeded by the counts alone, so the same counts always give the same probability.
  const seed = counts.reduce((h, c) => xorMultiply(h, c + COUNT_OFFSET, FMIX32_MULTIPLIER_1), GOLDEN_RATIO_32);
  const rng = mulberry32(seed);
  let wins = 0;
  for (let s = 0; s < SAMPLES; s++) {
    const lead = gamma(counts[0]! + 1, rng);
    let best = true;
    for (let i = 1; i < counts.length; i++) {
      if (gamma(counts[i]! + 1, rng) >= lead) {
        best = false;
        break;
      }
    }
    if (best) wins++;
  }
  return wins / SAMPLES;
}

/** Gamma(shape, 1) by Marsaglia–Tsang (shape ≥ 1 here, since counts + 1 ≥ 1). */
function gamma(shape: number, rng: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box–Muller normal from two uniforms.
      x = Math.sqrt(-2 * Math.log(rng() || 1e-300)) * Math.cos(2 * Math.PI * rng());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}
