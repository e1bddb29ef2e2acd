/**
 * Reasoning steps of a recorded trace: where a trace is cut into steps for step-level scores
 * (`CorpusBranch.stepScores`), for streaming a replayed branch step by step, and for charging its
 * tokens step by step.
 */
import type { CorpusBranch, CorpusRecord } from "./types.js";

/** `text` cut into lines, each with its `\n` (the last one may have none). */
function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

/**
 * The reasoning steps of a trace, so that `splitSteps(t).join("") === t` for every string.
 *
 * A step is a paragraph when the text has blank-line paragraphs (a whitespace-only line with
 * non-blank lines before and after it), else a line. A step ends after the newline(s) that end its
 * paragraph or line: the blank lines after a paragraph belong to it, whitespace before the first
 * non-blank line belongs to the first step and whitespace after the last one to the last step. So
 * no step is empty or whitespace-only, except that a text with no non-whitespace character at all is
 * one step (and `""` is none).
 *
 * Examples: `"a\nb\n"` → `["a\n", "b\n"]`; `"a\nb\n\nc\n"` → `["a\nb\n\n", "c\n"]`;
 * `"\nQ1. x\ny\n\n"` → `["\nQ1. x\n", "y\n\n"]`.
 */
export function splitSteps(text: string): string[] {
  if (text === "") return [];
  const lines = linesOf(text);
  const blank = lines.map(isBlank);
  const first = blank.indexOf(false);
  if (first < 0) return [text];
  const last = blank.lastIndexOf(false);
  let paragraphs = false;
  for (let i = first + 1; i < last; i++) {
    if (blank[i]) {
      paragraphs = true;
      break;
    }
  }
  const steps: string[] = [];
  let current = "";
  let hasContent = false;
  let previousBlank = false;
  for (let i = 0; i < lines.length; i++) {
    const isContent = !blank[i];
    if (isContent && hasContent && (!paragraphs || previousBlank)) {
      steps.push(current);
      current = "";
      hasContent = false;
    }
    current += lines[i];
    if (isContent) hasContent = true;
    previousBlank = !isContent;
  }
  steps.push(current);
  return steps;
}

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
