import { mulberry32, type Rng } from "@ttc/stats";
import { resolveSimOptions, type SimOptions } from "./options.js";
import { planProblem } from "./problem.js";
import { gaussian, hashString, intBetween, zipfIndex } from "./rng.js";
import { draftTrace, stepCountFor, type SimToken } from "./text.js";
import { planWalk } from "./walk.js";

/** One planned branch: the tokens a worker will emit, and what they amount to. */
export interface SimBranch {
  /** At most `maxTokens` tokens. */
  tokens: SimToken[];
  /** The planned answer; reported even when truncation cut it from the tokens. */
  answer: string;
  /** Whether `answer` equals `truth`. */
  correct: boolean;
  /** the prompt's correct answer */
  truth: string;
  /** Whether `maxTokens` cut the trace short (the boxed answer may then be missing). */
  truncated: boolean;
  /** Whether one step states a wrong arithmetic result (only ever on wrong branches). */
  slip: boolean;
}

/**
 * Plans a synthetic reasoning branch: a step-by-step arithmetic walk ending in `\boxed{answer}`.
 * Deterministic: the prompt fixes the true answer and the wrong-answer set, the seed picks this
 * branch's path. The content is made up for demos and load tests and says so in its first line;
 * the log-probabilities are invented too, shaped only so confidence-based policies have something
 * weakly informative to work with.
 * @param maxTokens cap on emitted tokens (>= 0; `Infinity` for none)
 * @throws RangeError on a negative `maxTokens` or an out-of-range option.
 */
export function planBranch(prompt: string, seed: number, maxTokens: number, options?: Partial<SimOptions>): SimBranch {
  if (!(maxTokens >= 0)) throw new RangeError(`maxTokens must be >= 0, got ${maxTokens}`);
  const opts = resolveSimOptions(options);
  const problem = planProblem(prompt, opts.wrongAnswers);
  const rng = mulberry32(hashString(`${prompt}\u0000${seed}`));

  const correct = rng() < opts.pCorrect;
  const slip = !correct && rng() < opts.pSlip;
  const answer = correct ? problem.truth : problem.wrong[zipfIndex(rng, problem.wrong.length)]!;
  const length = sampleLength(rng, opts);
  const stepCount = stepCountFor(length);
  // The slip sits strictly inside the walk: never the first step, never the landing step.
  const slipAt = slip ? intBetween(rng, 1, stepCount - 2) : null;
  const steps = planWalk(rng, stepCount, answer, slipAt);

  const all = draftTrace(rng, steps, answer, length, slipAt).map(({ text, stepEnd, slipped }): SimToken => ({
    text,
    stepEnd,
    logprob: slipped ? dip(rng) : tokenLogprob(rng, correct),
  }));
  return {
    tokens: all.slice(0, maxTokens),
    answer: String(answer),
    correct,
    truth: String(problem.truth),
    truncated: all.length > maxTokens,
    slip,
  };
}

/** Shortest branch, in tokens; the layout of three bare steps fits in it. */
const minLength = 40;

/** Lognormal length with mean `meanTokens`: mu is shifted by -sigma²/2 so the mean, not the median, matches. */
function sampleLength(rng: Rng, { meanTokens, lengthSigma }: SimOptions): number {
  const mu = Math.log(meanTokens) - (lengthSigma * lengthSigma) / 2;
  return Math.max(minLength, Math.round(Math.exp(mu + lengthSigma * gaussian(rng))));
}

/**
 * Invented confidence: correct branches sit around -0.2..-0.05 with rare dips, wrong ones a little
 * lower and dip more often, so the two overlap but are weakly separable.
 */
function tokenLogprob(rng: Rng, correct: boolean): number {
  if (rng() < (correct ? 0.01 : 0.05)) return dip(rng);
  return correct ? -(0.05 + 0.15 * rng()) : -(0.1 + 0.25 * rng());
}

/** A low-confidence token, in -2..-1. */
function dip(rng: Rng): number {
  return -(1 + rng());
}
