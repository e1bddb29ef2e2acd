/**
 * The `rule` verifier on a Game-of-24 trace (see `rule.ts`), reading incrementally: a call checks only
 * the lines ended since the last call, resuming the step check ({@link checkGame24Line}) and the last
 * `Answer:` line from the continuation. The line still being written is read again next time (the
 * continuation starts at it), exactly as the whole-trace check leaves a partial trace's last line
 * for later; a finished trace's last line is read at once.
 */
import {
  answerLineExpression,
  checkGame24,
  checkGame24Line,
  game24StepCheck,
  lastAnswerLine,
  startGame24Steps,
  type Game24StepProgress,
  type Value,
} from "../game24/mod.js";
import { formatFraction, parseNumber } from "../rational.js";
import { continuation, readScores, resumeFrom, writeScores } from "./resume.js";
import type { VerifyInput, VerifyOutput } from "./verifier.js";

/** Steps, each `a op b = c (left: ...)` line checked as it ends; the `Answer:` expression checked once the branch ends. */
export function verifyGame24(input: VerifyInput, numbers: readonly number[], pruneSteps: boolean): VerifyOutput {
  const { text, offset, state } = resumeFrom(input, GAME24_STATE, readState);
  let steps = state?.steps ?? startGame24Steps(numbers);
  let answerLine = state?.answerLine;
  const lines = text.split("\n");
  const open = input.final ? "" : lines.pop()!;
  for (const line of lines) {
    steps = checkGame24Line(steps, line);
    answerLine = lastAnswerLine(line) ?? answerLine;
  }
  const next = continuation(GAME24_STATE, offset + text.length - open.length, writeState({ steps, answerLine }));
  return { ...judge(steps, answerLine, numbers, input.final, pruneSteps), continuation: next };
}

function judge(
  progress: Game24StepProgress,
  answerLine: string | undefined,
  numbers: readonly number[],
  final: boolean,
  pruneSteps: boolean,
): Omit<VerifyOutput, "continuation"> {
  const steps = game24StepCheck(progress);
  const stepNote = steps.firstError ?? steps.unread;
  if (!final) {
    const bad = steps.firstError !== null;
    const reason =
      stepNote ?? (steps.steps === 0 ? "no steps yet" : `${steps.steps} step${steps.steps === 1 ? "" : "s"} right; 24 still reachable`);
    return { score: bad ? 0 : 1, stepScores: steps.stepScores, reject: bad && pruneSteps, reason, verified: false };
  }
  const expression = answerLine === undefined ? null : answerLineExpression(answerLine);
  const answer = expression === null ? { valid: false, reason: "no Answer: line" } : checkGame24(expression, numbers);
  const said = expression === null ? answer.reason : `answer "${expression}": ${answer.reason}`;
  if (answer.valid) {
    // An exact check of the answer outranks the steps: a right answer reached by muddled steps is right.
    const reason = `verified: ${expression} ${answer.reason}${steps.firstError === null ? "" : ` (though ${steps.firstError})`}`;
    return { score: 1, stepScores: steps.stepScores, reject: false, reason, verified: true };
  }
  const reason = `${said}${steps.firstError === null ? "" : `; ${steps.firstError}`}`;
  return { score: 0, stepScores: steps.stepScores, reject: true, reason, verified: false };
}

/** The kind of this reading's resume state. */
const GAME24_STATE = "game24-steps/1";

interface Game24Reading {
  steps: Game24StepProgress;
  /** The text after the last `Answer:` seen so far. */
  answerLine: string | undefined;
}

/** {@link Game24Reading} as it travels: numbers as `exact written` fractions, scores as 0s and 1s. */
interface Game24State {
  left: string[];
  scores: string;
  firstError: string | null;
  unread: string | null;
  checkReachable: boolean;
  answerLine: string | null;
}

function writeState({ steps, answerLine }: Game24Reading): Game24State {
  return {
    left: steps.left.map((v) => `${formatFraction(v.exact)} ${formatFraction(v.written)}`),
    scores: writeScores(steps.stepScores),
    firstError: steps.firstError,
    unread: steps.unread,
    checkReachable: steps.checkReachable,
    answerLine: answerLine ?? null,
  };
}

function readState(raw: unknown): Game24Reading | null {
  const s = raw as Partial<Record<keyof Game24State, unknown>> | null;
  const stepScores = readScores(s?.scores);
  if (!Array.isArray(s?.left) || stepScores === null) return null;
  if (typeof s.checkReachable !== "boolean" || ![s.firstError, s.unread, s.answerLine].every((x) => x === null || typeof x === "string")) {
    return null;
  }
  const left: Value[] = [];
  for (const item of s.left as unknown[]) {
    const [exact, written] = typeof item === "string" ? item.split(" ").map(parseNumber) : [];
    if (!exact || !written) return null;
    left.push({ exact, written });
  }
  const steps: Game24StepProgress = {
    left,
    stepScores,
    firstError: s.firstError as string | null,
    unread: s.unread as string | null,
    checkReachable: s.checkReachable,
  };
  return { steps, answerLine: (s.answerLine as string | null) ?? undefined };
}
