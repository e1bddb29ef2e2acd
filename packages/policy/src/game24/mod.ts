/**
 * The Game of 24, in one place: expressions are read by one tokenizer and parser and evaluated on
 * the reasoning core's exact rationals (`expression.ts`); the final-answer check, the step check and
 * the reachability search are built on that.
 */
export {
  checkGame24,
  game24AnswerExpression,
  game24Expression,
  game24Operands,
  normaliseGame24,
  parseGame24Numbers,
  type Game24Check,
} from "./answer.js";
export { canMake24 } from "./reachable.js";
export { checkGame24Steps, type Game24StepCheck, type Game24StepOptions } from "./steps.js";
