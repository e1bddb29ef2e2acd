/**
 * Reading the final answer out of a reasoning trace, and turning it into a grouping key.
 */
import { matchingBrace } from "./braces.js";
import { normaliseAnswer } from "./normalise.js";
import type { AnswerFormatName } from "./types.js";

export { normaliseAnswer } from "./normalise.js";

/** Content of the last `\boxed{...}` that is closed and not empty. */
function lastBoxed(trace: string): string | null {
  const starts = [...trace.matchAll(/\\boxed\{/g)].map((m) => m.index).reverse();
  for (const start of starts) {
    const open = start + "\\boxed".length;
    const close = matchingBrace(trace, open);
    const content = close < 0 ? "" : trace.slice(open + 1, close).trim();
    if (content !== "") return content;
  }
  return null;
}

/** The text after a marker up to the end of its sentence, without Markdown emphasis around it. */
function sentence(rest: string): string {
  const end = /\.(?=\s|$)/.exec(rest);
  const text = end ? rest.slice(0, end.index) : rest;
  return text.trim().replace(/^\*+|\*+$/g, "").trim();
}

/** The last non-empty value of `pattern`'s first group, read up to the end of its sentence. */
function lastMarked(trace: string, pattern: RegExp): string | null {
  let found: string | null = null;
  for (const match of trace.matchAll(pattern)) {
    const value = sentence(match[1] ?? "");
    if (value !== "") found = value;
  }
  return found;
}

// Also matches "the final answer is"; `\bis\b` rejects "answer isn't". The rest of the line is
// captured in a lookahead so a later marker on the same line is still found.
const ANSWER_IS = /\banswer\s+is\b:?(?=([^\n]*))/gi;
// "Answer: X", "Final answer: X", "**Answer:** X" on a line of their own.
const ANSWER_LINE = /^[ \t>#*-]*(?:final[ \t]+)?answer\**[ \t]*:\**([^\n]*)$/gim;

// A number in running text; the lookbehind keeps "3-4" from reading as -4 and "1.5.2" from yielding ".2".
const NUMBER_IN_TEXT = /(?<![\d.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?/gi;

function lastNumber(text: string): string | null {
  return [...text.matchAll(NUMBER_IN_TEXT)].at(-1)?.[0] ?? null;
}

/** The option letter a marked answer starts with: "B", "(B)", "B because ...", "(b) 04/05/2021". */
function choiceLetter(text: string): string | null {
  const match = /^\(([A-Ea-e])\)|^([A-E])(?![\w])/.exec(text);
  return (match?.[1] ?? match?.[2])?.toUpperCase() ?? null;
}

/** Without a marker, the last "(B)" in the text or a line holding only a letter. */
function lastLoneChoice(trace: string): string | null {
  const match = [...trace.matchAll(/\(([A-E])\)|^[ \t]*([A-E])[ \t]*[.)]?[ \t]*$/gm)].at(-1);
  return match?.[1] ?? match?.[2] ?? null;
}

/**
 * The raw final answer of a reasoning trace. In order of precedence: the last `\boxed{...}`
 * (nested braces allowed), the last "the answer is X" up to the end of its sentence, the last
 * "Answer: X" line; then, for `number` and `math`, the last number in the text, and for `choice`,
 * the last lone option letter A–E. Returns null rather than guessing when nothing fits.
 */
export function extractAnswer(trace: string, format: AnswerFormatName): string | null {
  const candidates = [lastBoxed(trace), lastMarked(trace, ANSWER_IS), lastMarked(trace, ANSWER_LINE)];
  const marked = candidates.find((c) => c !== null) ?? null;
  switch (format) {
    case "choice": {
      const letters = candidates.map((c) => (c === null ? null : choiceLetter(c)));
      return letters.find((l) => l !== null) ?? lastLoneChoice(trace);
    }
    case "number":
      if (marked === null) return lastNumber(trace);
      // "18 dollars" or "x = 18" still name a number; keep the marked text when it is one already.
      return normaliseAnswer(marked, "number") !== null ? marked : (lastNumber(marked) ?? marked);
    case "math":
      return marked ?? lastNumber(trace);
    default:
      return marked;
  }
}

/** The grouping key of a trace's final answer: `normaliseAnswer(extractAnswer(...))`, or null. */
export function answerKey(trace: string, format: AnswerFormatName): string | null {
  const raw = extractAnswer(trace, format);
  return raw === null ? null : normaliseAnswer(raw, format);
}
