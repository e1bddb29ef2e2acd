/**
 * When two normalised answers say the same thing, per answer format.
 */
import type { AnswerFormatName } from "../types.js";
import { checkGame24, game24Operands } from "../game24/mod.js";
import { mathEquivalent } from "./math.js";

/** What equivalence may need to know beyond the two answers. */
export interface EquivalenceOptions {
  /** `game24`: the puzzle's four numbers. Without them, see `answersEquivalent`. */
  numbers?: readonly number[];
}

function game24Equivalent(a: string, b: string, numbers: readonly number[] | undefined): boolean {
  if (numbers !== undefined) {
    const validA = checkGame24(a, numbers).valid;
    const validB = checkGame24(b, numbers).valid;
    return validA || validB ? validA && validB : a === b;
  }
  // Without the puzzle: two expressions that each reach exactly 24 from the same four numbers solve
  // the same puzzle, so they agree.
  const operandsA = game24Operands(a);
  const operandsB = game24Operands(b);
  if (operandsA === null || operandsB === null) return operandsA === operandsB && a === b;
  return operandsA.join(" ") === operandsB.join(" ");
}

/**
 * Whether two answers normalised by `normaliseAnswer(…, format)` are the same answer:
 * - `math`: symbolically equal (`\frac{1}{2}` = `0.5` = `1/2`, `2\sqrt2` = `\sqrt8`, tuples and
 *   intervals element by element with matching brackets, sets in any order; see `answer/math.ts`);
 * - `game24`: both solve the puzzle (any correct expression does), or, when not both valid, equal
 *   strings. Pass the puzzle's `numbers`; without them an answer counts as a solution when it
 *   reaches exactly 24 from four numbers, and two solutions agree when they use the same numbers;
 * - `number`, `date`, `choice`, `text`: equal keys (normalisation already made them canonical).
 */
export function answersEquivalent(a: string, b: string, format: AnswerFormatName, options: EquivalenceOptions = {}): boolean {
  switch (format) {
    case "math":
      return mathEquivalent(a, b);
    case "game24":
      return game24Equivalent(a, b, options.numbers);
    default:
      return a === b;
  }
}
