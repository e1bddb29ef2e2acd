/**
 * Normalisation of raw answers into grouping keys, one function per answer format. Keys of equal
 * answers are often equal strings; `answersEquivalent` (answer/equivalence.ts) decides the rest
 * (symbolic `math`, any correct `game24` expression).
 */
import { normaliseGame24 } from "./game24/mod.js";
import { normaliseMath } from "./answer/math.js";
import type { AnswerFormatName } from "./types.js";

type Normaliser = (answer: string) => string | null;

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const THOUSANDS = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;

/**
 * Canonical decimal string of a number ("1,000" → "1000", "2.50" → "2.5", "-0" → "0", "1e3" → "1000"),
 * or null when the text is not a number. A leading currency sign ("$18", "\$18", "€18") and a
 * trailing percent sign are dropped: "18%" is 18, as in GSM8K-style keys, where a question asking
 * for a percentage has the bare number as its gold answer. Goes through a double, so integers
 * beyond 2^53 lose digits.
 */
function normaliseNumber(answer: string): string | null {
  const bare = answer.replace(/^([+-]?)\s*(?:\\?\$|€|£)\s*/, "$1").replace(/\s*\\?%$/, "");
  const plain = THOUSANDS.test(bare) ? bare.replaceAll(",", "") : bare;
  if (!NUMBER.test(plain)) return null;
  const value = Number(plain);
  if (!Number.isFinite(value)) return null;
  // `value === 0` is also true for -0, whose String() would otherwise differ only by accident.
  return value === 0 ? "0" : String(value);
}

const DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

function daysInMonth(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** MM/DD/YYYY, zero-padded (M/D/YYYY accepted); null for anything that is not a real calendar date. */
function normaliseDate(answer: string): string | null {
  const match = DATE.exec(answer);
  if (!match) return null;
  const [month, day, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(month, year)) return null;
  return `${String(month).padStart(2, "0")}/${String(day).padStart(2, "0")}/${match[3]}`;
}

// "B", "(b)", "B)", "B:", "Option B", "the answer is B", or an option quoted with its text: "(B) 04/05/2021".
const CHOICE_PREFIX = /^(?:(?:so\s+)?(?:the\s+)?(?:final\s+)?answer\s+is\s*:?\s*|answer\s*:\s*)?(?:option\s+|choice\s+)?/i;
// A lower-case letter followed by more text is a word ("a cat"), not an option.
const CHOICE = /^\(([A-Ea-e])\)(?:\s|$)|^([A-Ea-e])[):.]?$|^([A-E])[):.]?\s/;

/** The option letter A–E, upper-cased. */
function normaliseChoice(answer: string): string | null {
  const match = CHOICE.exec(answer.replace(CHOICE_PREFIX, ""));
  const letter = match?.[1] ?? match?.[2] ?? match?.[3];
  return letter === undefined ? null : letter.toUpperCase();
}

/** Trimmed, lower-cased, whitespace collapsed, without surrounding quotes or trailing punctuation. */
function normaliseText(answer: string): string | null {
  let text = answer.toLowerCase().replace(/\s+/g, " ").trim();
  for (let previous = ""; previous !== text;) {
    previous = text;
    text = text
      .replace(/^["'“‘`*_]+|["'”’`*_]+$/g, "")
      .replace(/[\s.,;:!?。]+$/u, "")
      .trim();
  }
  return text === "" ? null : text;
}

const normalisers: Record<AnswerFormatName, Normaliser> = {
  text: normaliseText,
  number: normaliseNumber,
  math: normaliseMath,
  date: normaliseDate,
  choice: normaliseChoice,
  game24: normaliseGame24,
};

/** Trims whitespace, surrounding `$` and a trailing period, until none is left. */
function stripDecoration(raw: string): string {
  let previous: string;
  let current = raw;
  do {
    previous = current;
    current = current
      .trim()
      .replace(/\.$/, "")
      .replace(/^\$+|\$+$/g, "");
  } while (current !== previous);
  return current;
}

/**
 * The grouping key of a raw answer in the given format, or null when it cannot be read as one
 * (e.g. "twelve" as a number, "02/30/2021" as a date, "None" as a Game-of-24 expression).
 */
export function normaliseAnswer(raw: string, format: AnswerFormatName): string | null {
  const stripped = stripDecoration(raw);
  return stripped === "" ? null : normalisers[format](stripped);
}
