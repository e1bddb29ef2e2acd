/**
 * @ttc/sim — a synthetic reasoning generator for demos and load tests. Its traces are made-up
 * arithmetic, labelled as synthetic in their first line; nothing about real models follows from them.
 */
export { defaultSimOptions, resolveSimOptions, type SimOptions } from "./options.js";
export { planBranch, type SimBranch } from "./branch.js";
export { planProblem, type SimProblem } from "./problem.js";
export { hashString } from "./rng.js";
export { renderTrace, syntheticDisclaimer, type SimToken } from "./text.js";
