/** The evaluator's confidence interval: a seeded bootstrap of the mean over problems. */
import { mulberry32, quantile } from "@ttc/stats";

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
  const rand = mulberry32(options.seed ?? 1);
  const means: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += perProblem[Math.floor(rand() * n)]!;
    means.push(sum / n);
  }
  const alpha = (1 - level) / 2;
  return [quantile(means, alpha), quantile(means, 1 - alpha)];
}
