/**
 * The Game of 24, in one place: expressions are read by one tokenizer and parser and evaluated on
 * the reasoning core's exact rationals (`expression.ts`); the final-answer check, the step check and
 * the reachability search are built on that.
 */
export {
  answerLineExpression,
  checkGame24,
  game24AnswerExpression,
  game24Expression,
  game24Operands,
  lastAnswerLine,
  normaliseGame24,
  parseGame24Numbers,
  type Game24Check,
} from "./answer.js";
export { canMake24 } from "./reachable.js";
export {
  checkGame24Line,
  checkGame24Steps,
  game24StepCheck,
  startGame24Steps,
  type Game24StepCheck,
  type Game24StepOptions,
  type Game24StepProgress,
} from "./steps.js";
export type { Value } from "./expression.js";
