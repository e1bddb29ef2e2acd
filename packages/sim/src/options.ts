/** Knobs of the synthetic generator; every branch of a query shares them. */
export interface SimOptions {
  /** Mean length of a branch in tokens (lognormal). @default {@link defaultSimOptions}.meanTokens */
  meanTokens: number;
  /** Sigma of the log-length. @default {@link defaultSimOptions}.lengthSigma */
  lengthSigma: number;
  /** Probability that a branch reaches the right answer. @default {@link defaultSimOptions}.pCorrect */
  pCorrect: number;
  /** Number of distinct wrong answers wrong branches spread over (Zipf-weighted, the first most common). @default {@link defaultSimOptions}.wrongAnswers */
  wrongAnswers: number;
  /** Share of wrong branches whose error is a visible arithmetic slip (the rest misread the problem but compute correctly). @default {@link defaultSimOptions}.pSlip */
  pSlip: number;
}

/** The defaults of {@link SimOptions}, written only here (the worker's `TTC_SIM_*` settings default to them too). */
export const defaultSimOptions: SimOptions = Object.freeze({
  meanTokens: 300,
  lengthSigma: 0.35,
  pCorrect: 0.6,
  wrongAnswers: 4,
  pSlip: 0.6,
});

/**
 * Fills in defaults and checks ranges, so a bad setting fails loudly instead of skewing a load test.
 * @throws RangeError naming the offending option.
 */
export function resolveSimOptions(options: Partial<SimOptions> = {}): SimOptions {
  const resolved: SimOptions = {
    meanTokens: options.meanTokens ?? defaultSimOptions.meanTokens,
    lengthSigma: options.lengthSigma ?? defaultSimOptions.lengthSigma,
    pCorrect: options.pCorrect ?? defaultSimOptions.pCorrect,
    wrongAnswers: options.wrongAnswers ?? defaultSimOptions.wrongAnswers,
    pSlip: options.pSlip ?? defaultSimOptions.pSlip,
  };
  requireRange("meanTokens", resolved.meanTokens, 1, Number.MAX_SAFE_INTEGER);
  requireRange("lengthSigma", resolved.lengthSigma, 0, 10);
  requireRange("pCorrect", resolved.pCorrect, 0, 1);
  requireRange("pSlip", resolved.pSlip, 0, 1);
  requireRange("wrongAnswers", resolved.wrongAnswers, 1, 10_000);
  if (!Number.isInteger(resolved.wrongAnswers))
    throw new RangeError(`sim option wrongAnswers must be an integer, got ${resolved.wrongAnswers}`);
  return resolved;
}

function requireRange(name: string, value: number, min: number, max: number): void {
  // Written as a negated range test so NaN is rejected too.
  if (!(value >= min && value <= max)) throw new RangeError(`sim option ${name} must be in [${min}, ${max}], got ${value}`);
}
