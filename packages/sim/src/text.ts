import type { Rng } from "@ttc/stats";
import { intBetween } from "./rng.js";
import type { SimStep } from "./walk.js";

/** One emitted token of a synthetic trace. */
export interface SimToken {
  /** Token text including its leading space or trailing newline, so texts concatenate into the trace. */
  text: string;
  /** true on the last token of a reasoning step (chunk boundary) */
  stepEnd: boolean;
  /** synthetic log-probability of this token, <= 0 */
  logprob: number;
}

/** A token before it is given a log-probability. */
export interface DraftToken {
  text: string;
  stepEnd: boolean;
  /** true on the wrongly stated result of a slipped step, which gets a low log-probability. */
  slipped: boolean;
}

/** First line of every trace, so no synthetic output can pass for a model's. */
export const syntheticDisclaimer = "[synthetic trace from the ttc sim backend — not a real model]";

const headerWords = syntheticDisclaimer.split(" ");
/** `Step 3: 47 + 18 = 65.` */
const wordsPerStep = 7;
/** `The answer is \boxed{77}.` */
const answerWords = 4;
/** Rough share of a branch per step, so longer branches take more steps rather than only more filler. */
const tokensPerStep = 40;
const minSteps = 3;
const maxSteps = 12;

/** Filler phrases: letters and commas only, so they can never read as arithmetic to a verifier. */
const fillerPhrases = [
  "so we carry the partial result forward",
  "which keeps the running total in view",
  "checking the previous line once more",
  "now the next operation applies",
  "this matches the setup of the problem",
  "keeping track of the intermediate value",
  "we continue with the remaining terms",
  "nothing else changes at this point",
  "let us double check before moving on",
  "the order of operations is left to right here",
  "that is the quantity we need next",
  "writing it out keeps the bookkeeping honest",
  "the sign stays as it was",
  "no rounding is needed yet",
].map((phrase) => `${phrase},`.split(" "));

/** How many steps a branch of `length` tokens gets (at least 3, so a slip can sit in the middle). */
export function stepCountFor(length: number): number {
  const fitting = Math.floor((length - headerWords.length - answerWords) / tokensPerStep);
  return Math.min(maxSteps, Math.max(minSteps, fitting));
}

/**
 * Lays out the trace as tokens: the disclaimer line, one line per step padded with filler words so
 * the whole trace is `length` tokens long (or the bare minimum when that is shorter), and the boxed
 * answer. Words are tokens; each carries its leading space, and a line's last token its newline.
 */
export function draftTrace(rng: Rng, steps: readonly SimStep[], answer: number, length: number, slipAt: number | null): DraftToken[] {
  const tokens: DraftToken[] = [];
  const pushLine = (words: readonly string[], stepEnd: boolean, slippedWord: number, newline: boolean): void => {
    words.forEach((word, i) => {
      const last = i === words.length - 1;
      tokens.push({
        text: (i === 0 ? "" : " ") + word + (last && newline ? "\n" : ""),
        stepEnd: last && stepEnd,
        slipped: i === slippedWord,
      });
    });
  };
  pushLine(headerWords, false, -1, true);
  const fillers = splitFiller(rng, length - minimumLength(steps.length), steps.length);
  steps.forEach((step, i) => {
    const words = [`Step`, `${i + 1}:`, `${step.a}`, step.op, `${step.b}`, "=", `${step.stated}.`];
    pushLine([...words, ...fillerWords(rng, fillers[i]!)], true, i === slipAt ? words.length - 1 : -1, true);
  });
  pushLine(["The", "answer", "is", `\\boxed{${answer}}.`], false, -1, false);
  return tokens;
}

/** Joins token texts back into the trace they were cut from. */
export function renderTrace(tokens: readonly Pick<SimToken, "text">[]): string {
  return tokens.map((token) => token.text).join("");
}

function minimumLength(stepCount: number): number {
  return headerWords.length + stepCount * wordsPerStep + answerWords;
}

/** Splits `total` filler words over the steps unevenly, as real steps vary in length. */
function splitFiller(rng: Rng, total: number, parts: number): number[] {
  if (total <= 0) return new Array<number>(parts).fill(0);
  const weights = Array.from({ length: parts }, () => 0.5 + rng());
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((total * w) / sum));
  // Flooring loses a few words; give them to one step so the total is exact.
  const lost = total - counts.reduce((a, b) => a + b, 0);
  counts[intBetween(rng, 0, parts - 1)]! += lost;
  return counts;
}

/** `count` words of filler: whole phrases, never the same one twice in a row, cut to length. */
function fillerWords(rng: Rng, count: number): string[] {
  const words: string[] = [];
  let previous = -1;
  while (words.length < count) {
    // Drawing from all but the previous phrase: shift indices at or past it up by one.
    let next = intBetween(rng, 0, fillerPhrases.length - 2);
    if (next >= previous) next++;
    words.push(...fillerPhrases[next]!);
    previous = next;
  }
  const cut = words.slice(0, count);
  // The step line ends with the filler; a dangling comma before the newline would look broken.
  if (cut.length > 0) cut[cut.length - 1] = cut[cut.length - 1]!.replace(/,$/, "");
  return cut;
}
