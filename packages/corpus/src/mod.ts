/** @ttc/corpus: the recorded-trace corpus format, its reader/writer, token counting, steps and importers. */
export * from "./types.js";
export * from "./schema.js";
export * from "./tokens.js";
export * from "./steps.js";
export * from "./stats.js";
export * from "./replay-order.js";
export * from "./importers.js";
export type { ImportOptions } from "./importers/common.js";
export { importFaithfulCotDate, FAITHFUL_COT_DATE } from "./importers/faithful-cot-date.js";
export { importQwenMathMaj, QWEN_MATH_MAJ } from "./importers/qwen-math-maj.js";
export { importTotGame24, TOT_GAME24, type Game24ImportOptions } from "./importers/tot-game24.js";
export { importTotGame24Values, TOT_GAME24_VALUES, GAME24_VALUE_SCALE } from "./importers/tot-game24-values.js";
export { game24Problem, parseGame24Puzzles } from "./importers/game24-puzzles.js";
