/**
 * Everything about a recorded problem that does not depend on the policy, computed once: each
 * branch's steps and their tokens, its answer, and (lazily, memoised) what a verifier says of each
 * prefix. The simulation then only moves numbers around.
 */
import { stepTokens, type CorpusRecord } from "@ttc/corpus";
import {
  AnswerGroups,
  answerKey,
  answersEquivalent,
  checkGame24,
  createVerifier,
  parseGame24Numbers,
  splitSteps,
  type AnswerFormatName,
  type VerifyOutput,
} from "@ttc/policy";

export interface PreparedBranch {
  /** Index in the record. */
  readonly index: number;
  readonly steps: readonly string[];
  /** Tokens of each step (sums to the branch's tokens). */
  readonly stepTokens: readonly number[];
  /** Cumulative tokens after each step. */
  readonly cumulative: readonly number[];
  readonly tokens: number;
  /** Normalised answer, grouped with equivalent answers of the problem's other branches. */
  readonly answer: string | null;
}

export interface PreparedProblem {
  readonly record: CorpusRecord;
  readonly format: AnswerFormatName;
  readonly branches: readonly PreparedBranch[];
  /** Whether a (grouped) answer is right against the gold answer. */
  isCorrect(answer: string | null): boolean;
  /** The grouped answer of a replayed trace (the steps of one of the branches, joined). */
  answerOf(text: string): string | null;
  /** A verifier's judgement of branch `b` after `steps` steps (final: the whole trace), memoised. */
  verify(verifier: string, b: number, steps: number, final: boolean): VerifyOutput;
}

export function prepareProblem(record: CorpusRecord): PreparedProblem {
  const format = record.format as AnswerFormatName;
  // Equivalent spellings vote under one name: the first branch (by index) with an answer in a group names it.
  const groups = new AnswerGroups(format);
  const grouped = record.branches.map((b) => groups.canonical(answerKey(b.text, format)));
  const branches: PreparedBranch[] = record.branches.map((b, index) => {
    const steps = splitSteps(b.text);
    const perStep = stepTokens(record, b);
    const cumulative: number[] = [];
    let sum = 0;
    for (const t of perStep) cumulative.push((sum += t));
    return { index, steps, stepTokens: perStep, cumulative, tokens: b.tokens, answer: grouped[index]! };
  });
  // A replayed trace is its steps joined; its answer was read above, once per branch.
  const answers = new Map<string, string | null>(branches.map((b) => [b.steps.join(""), b.answer]));
  const answerOf = (text: string): string | null => {
    const known = answers.get(text);
    return known !== undefined ? known : groups.canonical(answerKey(text, format));
  };
  const numbers = format === "game24" ? parseGame24Numbers(record.problem) : null;
  const correctness = new Map<string, boolean>();
  const isCorrect = (answer: string | null): boolean => {
    if (answer === null) return false;
    let ok = correctness.get(answer);
    if (ok === undefined) {
      ok = numbers ? checkGame24(answer, numbers).valid : answersEquivalent(answer, answerKeyOfGold(record.gold, format), format);
      correctness.set(answer, ok);
    }
    return ok;
  };
  // Each branch's text, and where each of its steps ends in it.
  const texts = branches.map((b) => b.steps.join(""));
  const stepEnds = branches.map((b) => {
    let end = 0;
    return [0, ...b.steps.map((step) => (end += step.length))];
  });
  const memo = new Map<string, VerifyOutput>();
  /**
   * As the query engine asks: a partial judgement resumes from the continuation of the one a step
   * before (so incremental verification is what the evaluator measures, and each branch's text is
   * read about once per verifier); a final one gets the whole trace with the last partial one's.
   */
  const verify = (verifier: string, b: number, steps: number, final: boolean): VerifyOutput => {
    const key = `${verifier}|${b}|${steps}|${final ? 1 : 0}`;
    let out = memo.get(key);
    if (!out) {
      const recorded = record.branches[b]!;
      const before = steps === 0 ? undefined : verify(verifier, b, steps - 1, false).continuation;
      const from = final ? 0 : (before?.offset ?? 0);
      out = createVerifier(verifier).verify({
        trace: texts[b]!.slice(from, stepEnds[b]![steps]),
        traceOffset: from,
        resume: before?.resume ?? "",
        final,
        prompt: record.problem,
        format,
        recorded: {
          ...(final && recorded.score !== undefined ? { score: recorded.score } : {}),
          ...(recorded.stepScores ? { stepScores: recorded.stepScores.slice(0, steps) } : {}),
        },
      });
      memo.set(key, out);
    }
    return out;
  };
  return { record, format, branches, isCorrect, answerOf, verify };
}

/** The gold answer as a grouping key: normalised like a branch's answer, or kept raw when it will not parse. */
function answerKeyOfGold(gold: string, format: AnswerFormatName): string {
  return answerKey(`\\boxed{${gold}}`, format) ?? answerKey(gold, format) ?? gold;
}
