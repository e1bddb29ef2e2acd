/**
 * The `rule` verifier: exact checks where a checker exists, well-formedness elsewhere.
 *
 * - Game of 24 (format `game24`, or no format and a prompt with an `Input: a b c d` line): each step
 *   `a op b = c (left: x y z)` is checked as it arrives (numbers available, arithmetic exact, the
 *   `left:` list right, 24 still reachable: see {@link checkGame24Steps}); the branch is rejected at
 *   the first impossible step. A final `Answer:` expression using exactly the four numbers and
 *   equal to 24 ({@link checkGame24}, the check answers are graded with) is verified (score 1); any
 *   other final answer is rejected (score 0).
 * - Other formats: any `a op b = c` slip rejects (the `arith` check). A finished trace whose answer
 *   cannot be extracted, or does not read as its format, scores 0 but is not rejected: the branch
 *   has ended, so there is nothing left to prune, and the vote already ignores an answer it cannot
 *   read; the score keeps it from weighing in score-weighted votes. A well-formed answer scores 1,
 *   unverified: there is no answer key at serving time.
 *
 * Both read incrementally (the steps and equations from a continuation, see `rule-game24.ts` and
 * `resumedArithmetic`); the answer of another format is read from the whole trace, which a final
 * call carries.
 */
import { extractAnswer, normaliseAnswer } from "../answer.js";
import type { AnswerFormatName } from "../types.js";
import { resumedArithmetic, type ArithCheck } from "./arith.js";
import { parseGame24Numbers } from "../game24/mod.js";
import { wholeTrace } from "./resume.js";
import { verifyGame24 } from "./rule-game24.js";
import type { TraceVerifier, VerifyInput, VerifyOutput } from "./verifier.js";

/** Options of {@link createRuleVerifier}. */
export interface RuleOptions {
  /**
   * Reject a Game-of-24 branch at its first impossible step. With false, bad steps still show in
   * stepScores and the score but only the final answer check rejects. @default true
   */
  pruneGame24Steps?: boolean;
}

export function createRuleVerifier(options: RuleOptions = {}): TraceVerifier {
  const pruneSteps = options.pruneGame24Steps ?? true;
  return {
    name: "rule",
    partial: true,
    verify(input: VerifyInput): VerifyOutput {
      const numbers = input.format === undefined || input.format === "game24" ? parseGame24Numbers(input.prompt ?? "") : null;
      if (numbers !== null) return verifyGame24(input, numbers, pruneSteps);
      return verifyWellFormed(input, input.format ?? "text");
    },
  };
}

function verifyWellFormed(input: VerifyInput, readAs: AnswerFormatName): VerifyOutput {
  const { check, continuation } = resumedArithmetic(input);
  return { ...judgeWellFormed(input, readAs, check), continuation };
}

function judgeWellFormed(input: VerifyInput, readAs: AnswerFormatName, arith: ArithCheck): Omit<VerifyOutput, "continuation"> {
  if (arith.firstError !== null) return { score: 0, stepScores: arith.stepScores, reject: true, reason: arith.firstError, verified: false };
  const checked = arith.steps === 0 ? "" : `${arith.steps} equation${arith.steps === 1 ? "" : "s"} right; `;
  if (!input.final)
    return { score: 1, stepScores: arith.stepScores, reject: false, reason: `${checked}no final answer yet`, verified: false };
  const as = `${input.format === "game24" ? "game24 (the prompt has no Input: line with four numbers, so it is only read, not checked)" : readAs} answer`;
  const raw = extractAnswer(wholeTrace(input, "rule"), readAs);
  if (raw === null) return { score: 0, stepScores: arith.stepScores, reject: false, reason: `${checked}no ${as} found`, verified: false };
  const key = normaliseAnswer(raw, readAs);
  if (key === null) {
    return {
      score: 0,
      stepScores: arith.stepScores,
      reject: false,
      reason: `${checked}${JSON.stringify(raw)} does not read as a ${as}`,
      verified: false,
    };
  }
  return {
    score: 1,
    stepScores: arith.stepScores,
    reject: false,
    reason: `${checked}well-formed ${as} ${JSON.stringify(key)} (no answer key to check it against)`,
    verified: false,
  };
}
