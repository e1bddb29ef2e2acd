/** Summary figures of a corpus: what `ttc corpus stats` and `ttc corpus import` print. */
import type { CorpusRecord, TokenCounting } from "./types.js";

export interface CorpusStats {
  records: number;
  branches: number;
  /** Branches per record: fewest, mean, most (0s for an empty corpus). */
  branchesPerRecord: { min: number; mean: number; max: number };
  /** Tokens of all branches. */
  tokens: number;
  /** tokens / branches (0 for no branches). */
  meanTokensPerBranch: number;
  /** The token countings used, each with how many records use it. */
  tokenCounting: Partial<Record<TokenCounting, number>>;
  /** The sources, each with how many records came from it. */
  sources: Record<string, number>;
  /** Branches with a recorded `correct` label. */
  labelled: number;
  /** Of those, how many are labelled correct. */
  labelledCorrect: number;
  /** labelledCorrect / labelled, or null when no branch is labelled. */
  correctShare: number | null;
  /** Branches with recorded `stepScores`. */
  withStepScores: number;
}

export function corpusStats(records: readonly CorpusRecord[]): CorpusStats {
  let branches = 0;
  let tokens = 0;
  let labelled = 0;
  let labelledCorrect = 0;
  let withStepScores = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  const tokenCounting: Partial<Record<TokenCounting, number>> = {};
  const sources: Record<string, number> = {};
  for (const r of records) {
    branches += r.branches.length;
    min = Math.min(min, r.branches.length);
    max = Math.max(max, r.branches.length);
    tokenCounting[r.tokenCounting] = (tokenCounting[r.tokenCounting] ?? 0) + 1;
    sources[r.source] = (sources[r.source] ?? 0) + 1;
    for (const b of r.branches) {
      tokens += b.tokens;
      if (b.correct !== undefined) {
        labelled++;
        if (b.correct) labelledCorrect++;
      }
      if (b.stepScores !== undefined) withStepScores++;
    }
  }
  return {
    records: records.length,
    branches,
    branchesPerRecord: records.length === 0 ? { min: 0, mean: 0, max: 0 } : { min, mean: branches / records.length, max },
    tokens,
    meanTokensPerBranch: branches === 0 ? 0 : tokens / branches,
    tokenCounting,
    sources,
    labelled,
    labelledCorrect,
    correctShare: labelled === 0 ? null : labelledCorrect / labelled,
    withStepScores,
  };
}
