/**
 * A recorded trace's tokens per reasoning step, for charging a replayed branch step by step. Where a
 * trace is cut into steps is `splitSteps` of @ttc/policy, the one definition of a step.
 */
import { splitSteps } from "@ttc/policy";
import type { CorpusBranch, CorpusRecord } from "./types.js";

/**
 * The branch's `tokens` apportioned to its steps (`splitSteps(branch.text)`) in proportion to their
 * lengths in characters (UTF-16 code units), as integers summing exactly to `branch.tokens`: each
 * step gets the floor of its share, and the tokens left over go one each to the steps with the
 * largest remainders, the earlier step first on a tie. Deterministic; `[]` for an empty text.
 *
 * `branch` is the branch itself or its index in `record.branches`.
 */
export function stepTokens(record: CorpusRecord, branch: CorpusBranch | number): number[] {
  const b = typeof branch === "number" ? record.branches[branch] : branch;
  if (b === undefined) {
    throw new RangeError(`stepTokens: record ${record.id} has no branch ${String(branch)} (it has ${record.branches.length})`);
  }
  const steps = splitSteps(b.text);
  const total = b.text.length;
  if (steps.length === 0 || total === 0) return [];
  const shares = steps.map((step, index) => {
    const numerator = b.tokens * step.length; // exact: both are integers well below 2^26 in practice
    return { index, floor: Math.floor(numerator / total), remainder: numerator % total };
  });
  let left = b.tokens - shares.reduce((sum, s) => sum + s.floor, 0);
  const result = shares.map((s) => s.floor);
  const order = [...shares].sort((x, y) => y.remainder - x.remainder || x.index - y.index);
  for (const s of order) {
    if (left <= 0) break;
    result[s.index] = (result[s.index] ?? 0) + 1;
    left--;
  }
  return result;
}
