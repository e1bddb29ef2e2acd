/**
 * Answers: reading the final answer out of a reasoning trace (answer/extract.ts), turning it into a
 * grouping key (normalise.ts), and deciding when two keys are the same answer (answer/equivalence.ts).
 */
export { extractAnswer, answerKey } from "./answer/extract.js";
export { normaliseAnswer } from "./normalise.js";
export { answersEquivalent } from "./answer/equivalence.js";
export type { EquivalenceOptions } from "./answer/equivalence.js";
export { checkGame24, parseGame24Numbers } from "./game24/mod.js";
export type { Game24Check } from "./game24/mod.js";
