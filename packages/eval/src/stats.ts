/** Small statistics for the evaluator: percentiles, means and a seeded bootstrap interval. */

/** The q-quantile (0..1) by linear interpolation; 0 for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length;
}

/**
 * Percentile bootstrap interval of the mean, resampling problems (not repeats, which are not
 * independent draws of the population). Seeded, so a report is reproducible.
 */
export function bootstrapInterval(
  perProblem: readonly number[],
  options: { resamples?: number; level?: number; seed?: number } = {},
): [number, number] {
  const n = perProblem.length;
  if (n === 0) return [0, 0];
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  let state = (options.seed ?? 1) >>> 0;
  const rand = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const means: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += perProblem[Math.floor(rand() * n)]!;
    means.push(sum / n);
  }
  const alpha = (1 - level) / 2;
  return [quantile(means, alpha), quantile(means, 1 - alpha)];
}
