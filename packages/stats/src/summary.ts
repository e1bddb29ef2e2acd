/** Summaries of a sample: its mean and its quantiles, one definition each for every table in the tree. */

/** The arithmetic mean; 0 for no values. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length;
}

/**
 * The q-quantile (q in 0..1) by linear interpolation between order statistics: position q·(n − 1) in
 * the sorted values, numpy's default (`method="linear"`), so p50 of [1, 2] is 1.5. 0 for no values.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
