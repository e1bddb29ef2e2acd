/**
 * Reading the final answer out of a reasoning trace.
 */
import { closingBraces } from "../braces.js";
import { normaliseAnswer } from "../normalise.js";
import type { AnswerFormatName } from "../types.js";
import { game24Expression } from "../game24/mod.js";

/** Content of the last `\boxed{...}` or `\fbox{...}` that is closed and not empty (also `\boxed 5`). */
function lastBoxed(trace: string): string | null {
  const starts = [...trace.matchAll(/\\(?:boxed|fbox)(?![a-zA-Z])/g)].reverse();
  let closes: Map<number, number> | undefined;
  for (const match of starts) {
    const after = match.index + match[0].length;
    const open = trace.slice(after).search(/\S/) + after;
    let content = "";
    if (trace[open] === "{") {
      closes ??= closingBraces(trace);
      const close = closes.get(open) ?? -1;
      content = close < 0 ? "" : trace.slice(open + 1, close).trim();
    } else if (open > after) {
      // `\boxed 5`: one token, up to whitespace or a math delimiter.
      content = /^[^\s$\\]+/.exec(trace.slice(open))?.[0] ?? "";
    }
    if (content !== "") return content;
  }
  return null;
}

/** The text after a marker up to the end of its sentence, without Markdown emphasis around it. */
function sentence(rest: string): string {
  const end = /\.(?=\s|$)/.exec(rest);
  const text = end ? rest.slice(0, end.index) : rest;
  return text
    .trim()
    .replace(/^\*+|\*+$/g, "")
    .trim();
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
// captured in a lookahead so a later marker on the same line is still found; at most 1,024 characters
// of it, or a long line of markers would be read once per marker (quadratic).
const ANSWER_IS = /\banswer\s+is\b:?(?=([^\n]{0,1024}))/gi;
// "Answer: X", "Final answer: X", "**Answer:** X" on a line of their own.
const ANSWER_LINE = /^[ \t>#*-]*(?:final[ \t]+)?answer\**[ \t]*:\**([^\n]*)$/gim;

// A number in running text; the lookbehind keeps "3-4" from reading as -4 and "1.5.2" from yielding ".2".
const NUMBER_IN_TEXT = /(?<![\d.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?/gi;

function lastNumber(text: string): string | null {
  return [...text.matchAll(NUMBER_IN_TEXT)].at(-1)?.[0] ?? null;
}

/** The option letter a marked answer starts with: "B", "(B)", "B)", "B because ...", "(b) 04/05/2021". */
function choiceLetter(text: string): string | null {
  const match = /^(?:option\s+|choice\s+)?(?:\(([A-Ea-e])\)|([A-E])(?![\w]))/i.exec(text);
  const letter = match?.[1] ?? match?.[2];
  // A bare lower-case letter is a word ("a"), not an option; "(b)" is an option.
  if (match?.[2] !== undefined && !/[A-E]/.test(match[2])) return null;
  return letter?.toUpperCase() ?? null;
}

/** Without a marker, the last "(B)" in the text or a line holding only a letter. */
function lastLoneChoice(trace: string): string | null {
  const match = [...trace.matchAll(/\(([A-E])\)|^[ \t]*([A-E])[ \t]*[.)]?[ \t]*$/gm)].at(-1);
  return match?.[1] ?? match?.[2] ?? null;
}

const DATE_IN_TEXT = /(?<![\d/])\d{1,2}\/\d{1,2}\/\d{4}(?![\d/])/g;

/**
 * The raw final answer of a reasoning trace. In order of precedence: the last `\boxed{...}` (or
 * `\fbox{...}`; nested braces allowed), the last "the answer is X" up to the end of its sentence,
 * the last "Answer: X" line. Then, per format:
 * - `number`, `math`: without a marker, the last number in the text;
 * - `choice`: the option letter A–E the marked answer starts with, else the last lone letter;
 * - `date`: the last MM/DD/YYYY in the marked answer ("05/01/2021 (May 1)" → "05/01/2021");
 * - `game24`: the expression left of the "=" ("(6 - 4) * 5 = 24" → "(6 - 4) * 5"); "None", "No
 *   solution" and other text without an expression give null.
 * Returns null rather than guessing when nothing fits.
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
    case "date":
      if (marked === null) return null;
      return normaliseAnswer(marked, "date") !== null ? marked : ([...marked.matchAll(DATE_IN_TEXT)].at(-1)?.[0] ?? marked);
    case "game24":
      return marked === null ? null : game24Expression(marked);
    default:
      return marked;
  }
}

/** The grouping key of a trace's final answer: `normaliseAnswer(extractAnswer(...))`, or null. */
export function answerKey(trace: string, format: AnswerFormatName): string | null {
  const raw = extractAnswer(trace, format);
  return raw === null ? null : normaliseAnswer(raw, format);
}
