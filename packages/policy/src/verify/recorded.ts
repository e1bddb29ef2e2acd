/**
 * The `recorded` verifier: replays the scores stored with a recorded trace (a reward model's outcome
 * score, a PRM's or a tree search's per-step values) as if a verifier computed them now.
 */
import { completedStepCount, countCompletedSteps, noStepsCounted, type StepCount } from "../reasoning-steps.js";
import { continuation, readsNothing, resumeFrom } from "./resume.js";
import { clampScore, stepScoringVerifier, type StepAggregation, type StepScorer } from "./steps.js";
import type { TraceVerifier, VerifyInput } from "./verifier.js";

/**
 * How recorded numbers map to scores in 0..1:
 * - `probability`: they already are probabilities; kept, clamped to 0..1;
 * - `logit`: unbounded reward-model outputs; squashed by the logistic 1 / (1 + e^-s), so 0 → 0.5,
 *   2 → 0.88, -2 → 0.12 (strictly increasing: the order of branches is kept).
 */
export type RecordedScale = "probability" | "logit";

/** Scores stored with a replayed trace. */
export interface RecordedScores {
  /** The finished trace's score (an outcome reward model's). */
  score?: number;
  /** One score per step of the whole trace (see `splitSteps`). */
  stepScores?: number[];
  /** How to read the numbers; when absent, the verifier's `scale` option decides. */
  scale?: RecordedScale;
}

/** Options of {@link createRecordedVerifier}. */
export interface RecordedOptions {
  /** How step scores are aggregated into a partial trace's score. @default "min" */
  aggregation?: StepAggregation;
  /** Reject when the latest step's score (after mapping to 0..1) is below this. @default never */
  rejectBelow?: number;
  /**
   * The mapping when the input does not name one. `auto` (the default): `probability` when every
   * number of the input lies in 0..1, else `logit`. Caution: `auto` decides per input, so on a
   * corpus whose raw scores straddle 0..1 (e.g. reward-model logits such as 0.36 and -0.53) two
   * branches can be mapped differently and change order; name the scale for such a corpus.
   */
  scale?: RecordedScale | "auto";
}

/** The logistic function, 1 / (1 + e^-x). */
export function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * A verifier replaying `input.recorded`: on a finished trace the score is `recorded.score` (mapped
 * to 0..1) when there is one, else the aggregation of every recorded step score; on a partial trace
 * it is the aggregation of the step scores of the steps seen so far. Without recorded scores it
 * scores 1 (no evidence either way) and never rejects.
 *
 * It reads incrementally: the steps seen are counted with `countCompletedSteps`, whose count travels
 * in the continuation, so each call reads only the text that is new (a finished trace's count goes
 * unused: all its recorded step scores count).
 */
export function createRecordedVerifier(options: RecordedOptions = {}): TraceVerifier {
  const { aggregation = "min", rejectBelow, scale = "auto" } = options;
  const mapping = (recorded: RecordedScores): ((x: number) => number) => {
    let chosen = recorded.scale ?? scale;
    if (chosen === "auto") {
      const all = [...(recorded.score === undefined ? [] : [recorded.score]), ...(recorded.stepScores ?? [])];
      chosen = all.every((x) => x >= 0 && x <= 1) ? "probability" : "logit";
    }
    return chosen === "logit" ? logistic : clampScore;
  };
  const scorer = (seen: number): StepScorer => ({
    name: "recorded",
    scoreSteps(input: VerifyInput) {
      const recorded = input.recorded;
      if (recorded?.stepScores === undefined) return [];
      return recorded.stepScores.slice(0, input.final ? recorded.stepScores.length : seen).map(mapping(recorded));
    },
    scoreOutcome(input: VerifyInput) {
      const recorded = input.recorded;
      return recorded?.score === undefined ? undefined : mapping(recorded)(recorded.score);
    },
  });
  const judging = rejectBelow === undefined ? { rejectOn: "latest" as const } : { rejectBelow, rejectOn: "latest" as const };
  return {
    name: "recorded",
    partial: true,
    verify(input) {
      const { recorded } = input;
      if (recorded === undefined || (recorded.score === undefined && recorded.stepScores === undefined)) {
        return {
          score: 1,
          stepScores: [],
          reject: false,
          reason: "no recorded scores",
          verified: false,
          continuation: readsNothing(input),
        };
      }
      const { text, offset, state } = resumeFrom(input, STEP_COUNT_STATE, readStepCount);
      const count = countCompletedSteps(state ?? noStepsCounted, text);
      const out = stepScoringVerifier(scorer(completedStepCount(count)), aggregation, judging).verify(input);
      return { ...out, continuation: continuation(STEP_COUNT_STATE, offset + text.length, count) };
    },
  };
}

/** The kind of the recorded verifier's resume state: a {@link StepCount}. */
const STEP_COUNT_STATE = "step-count/1";

function readStepCount(raw: unknown): StepCount | null {
  const c = raw as Partial<Record<keyof StepCount, unknown>> | null;
  if (c === null || typeof c !== "object") return null;
  const counts = [c.lines, c.paragraphs].every((n) => typeof n === "number" && Number.isInteger(n) && n >= 0);
  const flags = [c.afterBlank, c.blankAfterContent, c.paragraphsShown, c.openLine].every((b) => typeof b === "boolean");
  return counts && flags ? (c as StepCount) : null;
}
