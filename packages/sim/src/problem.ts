import { mulberry32 } from "@ttc/stats";
import { hashString, intBetween } from "./rng.js";

/**
 * What a prompt "means" to the simulator. The prompt text alone decides it, so every branch of a
 * query agrees on the right answer and draws its mistakes from the same few wrong ones, which is
 * what makes voting meaningful. The simulator never reads the prompt's content.
 */
export interface SimProblem {
  /** The correct answer, in 10..999. */
  truth: number;
  /** Distinct wrong answers, most common first (wrong branches pick them Zipf-weighted). */
  wrong: number[];
}

/** The true answer and wrong-answer set of a prompt. */
export function planProblem(prompt: string, wrongAnswers: number): SimProblem {
  const rng = mulberry32(hashString(prompt));
  const truth = intBetween(rng, 10, 999);
  // Wrong answers are near misses, like real slips; the window is wide enough that at least half
  // of the draws are new, so the rejection loop ends quickly.
  const span = Math.max(12, 2 * wrongAnswers);
  const wrong: number[] = [];
  while (wrong.length < wrongAnswers) {
    const candidate = truth + intBetween(rng, -span, span);
    if (candidate >= 1 && candidate !== truth && !wrong.includes(candidate)) wrong.push(candidate);
  }
  return { truth, wrong };
}
