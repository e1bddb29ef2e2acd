/**
 * The scoring contract of step-scoring verifiers (process reward models, LLM judges, recorded
 * scores): a {@link StepScorer} scores each reasoning step in 0..1, an aggregation turns the step
 * scores into the trace's score, and {@link stepScoringVerifier} makes a {@link TraceVerifier} of it.
 */
import type { TraceVerifier, VerifyInput, VerifyOutput } from "./verifier.js";

/**
 * How step scores become one trace score:
 * - `last`: the latest step's score (a PRM's verdict on the trace so far);
 * - `min`: the weakest step (a chain is as strong as its weakest link; Lightman et al. 2023);
 * - `product`: the probability that every step is right, taking scores as independent probabilities;
 * - `mean`: the average step.
 */
export type StepAggregation = "last" | "min" | "product" | "mean";

/** Every {@link StepAggregation}. */
export const stepAggregations: readonly StepAggregation[] = ["last", "min", "product", "mean"];

/** `x` clamped to 0..1; NaN counts as 0, the score of a step nothing vouches for. */
export function clampScore(x: number): number {
  return Number.isNaN(x) ? 0 : Math.min(1, Math.max(0, x));
}

/**
 * Aggregates step scores (each clamped to 0..1 first) into one score in 0..1. With no steps the
 * result is 1 for every aggregation: the identity of `min` (over 0..1) and of `product`, and for
 * `last` and `mean` the same "nothing against it yet", so a trace is never penalised for not having
 * reached its first step.
 */
export function aggregateStepScores(scores: readonly number[], how: StepAggregation): number {
  if (scores.length === 0) return 1;
  const clamped = scores.map(clampScore);
  switch (how) {
    case "last":
      return clamped.at(-1)!;
    case "min":
      return Math.min(...clamped);
    case "product":
      return clamped.reduce((p, s) => p * s, 1);
    case "mean":
      return clamped.reduce((sum, s) => sum + s, 0) / clamped.length;
  }
}

/** Scores the steps of a trace (a PRM, a judge, scores recorded with a replayed trace). */
export interface StepScorer {
  readonly name: string;
  /** One score per step seen so far, in order; values outside 0..1 are clamped. */
  scoreSteps(input: VerifyInput): number[];
  /**
   * Optional: a score of the finished trace as a whole (an outcome reward model). When it returns a
   * number for a final trace, that is the trace's score instead of the aggregated step scores.
   */
  scoreOutcome?(input: VerifyInput): number | undefined;
}

/** Options of {@link stepScoringVerifier}. */
export interface StepScoringOptions {
  /** Reject (allow pruning) when the judged score is below this; undefined: never reject. */
  rejectBelow?: number;
  /**
   * What `rejectBelow` judges: the trace's score (`aggregate`, the default: the outcome score on a
   * finished trace when there is one) or the latest step's score (`latest`).
   */
  rejectOn?: "aggregate" | "latest";
}

/**
 * A verifier from any step scorer: stepScores are the scorer's (clamped), the score their
 * aggregation (or the scorer's outcome score on a finished trace), verified is always false
 * (a learned or recorded score is not an exact check). It judges partial traces.
 */
export function stepScoringVerifier(scorer: StepScorer, aggregation: StepAggregation, options: StepScoringOptions = {}): TraceVerifier {
  const { rejectBelow, rejectOn = "aggregate" } = options;
  return {
    name: scorer.name,
    partial: true,
    verify(input: VerifyInput): VerifyOutput {
      const stepScores = scorer.scoreSteps(input).map(clampScore);
      const outcome = input.final ? scorer.scoreOutcome?.(input) : undefined;
      const score = outcome === undefined ? aggregateStepScores(stepScores, aggregation) : clampScore(outcome);
      const steps = `${stepScores.length} step score${stepScores.length === 1 ? "" : "s"}`;
      let reason =
        outcome !== undefined
          ? `outcome score ${fmt(score)} (${steps})`
          : stepScores.length === 0
            ? "no steps scored yet"
            : `${aggregation} of ${steps} = ${fmt(score)}`;
      let reject = false;
      if (rejectBelow !== undefined) {
        const latest = stepScores.at(-1);
        if (rejectOn === "latest" ? latest !== undefined && latest < rejectBelow : score < rejectBelow) {
          reject = true;
          reason =
            rejectOn === "latest"
              ? `step ${stepScores.length} scored ${fmt(latest!)}, below ${rejectBelow}`
              : `${reason}, below ${rejectBelow}`;
        }
      }
      return { score, stepScores, reject, reason, verified: false };
    },
  };
}

function fmt(x: number): string {
  return Number(x.toFixed(3)).toString();
}
