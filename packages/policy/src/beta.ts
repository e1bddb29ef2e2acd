/**
 * The regularized incomplete beta function and the Beta stopping criterion of
 * Adaptive-Consistency (Aggarwal et al. 2023).
 */

// Lanczos coefficients for g = 7, n = 9: about 15 significant digits for z > 0.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0. */
function lnGamma(z: number): number {
  // The series loses accuracy below 0.5; the reflection formula moves z above it.
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
  const zm1 = z - 1;
  let series = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i]! / (zm1 + i);
  const t = zm1 + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (zm1 + 0.5) * Math.log(t) - t + Math.log(series);
}

const EPSILON = 1e-15;
// Keeps Lentz's method from dividing by zero.
const TINY = 1e-300;

/** Continued fraction for I_x(a, b), evaluated by the modified Lentz method (Numerical Recipes `betacf`). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  // Convergence takes O(sqrt(max(a, b))) terms; the bound is generous so it is never the limit in practice.
  const maxTerms = 200 + Math.ceil(10 * Math.sqrt(Math.max(a, b)));
  const clamp = (v: number): number => (Math.abs(v) < TINY ? TINY : v);
  let c = 1;
  let d = 1 / clamp(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= maxTerms; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / clamp(1 + even * d);
    c = clamp(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / clamp(1 + odd * d);
    c = clamp(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPSILON) break;
  }
  return h;
}

/**
 * The regularized incomplete beta function I_x(a, b) = P(X <= x) for X ~ Beta(a, b).
 * Works for any real a, b > 0.
 * @throws RangeError when x is outside [0, 1] or a, b are not positive finite numbers.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`x must be in [0, 1], got ${x}`);
  if (!(a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b))) {
    throw new RangeError(`a and b must be positive finite numbers, got a=${a}, b=${b}`);
  }
  if (x === 0) return 0;
  if (x === 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast only left of the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) beyond it.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/**
 * Adaptive-Consistency's Beta criterion: P(p > 0.5) for p ~ Beta(leaderWeight + 1, runnerUpWeight + 1),
 * the posterior probability that the leading answer beats the runner-up over the whole population.
 * For integer weights a, b this equals P(Binomial(a + b + 1, 0.5) <= a); e.g. 4 vs 0 gives 0.96875.
 * @throws RangeError when a weight is negative or not finite.
 */
export function probabilityLeaderIsMajority(leaderWeight: number, runnerUpWeight: number): number {
  const valid = (w: number): boolean => w >= 0 && Number.isFinite(w);
  if (!valid(leaderWeight) || !valid(runnerUpWeight)) {
    throw new RangeError(`weights must be finite and non-negative, got ${leaderWeight} and ${runnerUpWeight}`);
  }
  return 1 - regularizedIncompleteBeta(0.5, leaderWeight + 1, runnerUpWeight + 1);
}
