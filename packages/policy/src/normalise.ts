/**
 * Normalisation of raw answers into grouping keys, one function per answer format.
 * Keys are compared by string equality; a later version will add symbolic equivalence for `math`
 * by replacing `normaliseMath` alone.
 */
import { matchingBrace } from "./braces.js";
import type { AnswerFormatName } from "./types.js";

type Normaliser = (answer: string) => string | null;

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const THOUSANDS = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;

/**
 * Canonical decimal string of a number ("1,000" → "1000", "2.50" → "2.5", "-0" → "0", "1e3" → "1000"),
 * or null when the text is not a number. Goes through a double, so integers beyond 2^53 lose digits.
 */
function normaliseNumber(answer: string): string | null {
  const plain = THOUSANDS.test(answer) ? answer.replaceAll(",", "") : answer;
  if (!NUMBER.test(plain)) return null;
  const value = Number(plain);
  if (!Number.isFinite(value)) return null;
  // `value === 0` is also true for -0, whose String() would otherwise differ only by accident.
  return value === 0 ? "0" : String(value);
}

/** Replaces every `\text{...}` by its content, respecting nested braces. */
function unwrapText(latex: string): string {
  let out = "";
  let i = 0;
  for (;;) {
    const start = latex.indexOf("\\text{", i);
    if (start < 0) return out + latex.slice(i);
    const open = start + "\\text".length;
    const close = matchingBrace(latex, open);
    if (close < 0) return out + latex.slice(i);
    out += latex.slice(i, start) + latex.slice(open + 1, close);
    i = close + 1;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** "a/b" in lowest terms with the sign on the numerator, or the integer when b divides a; null for b = 0. */
function reducedFraction(numerator: string, denominator: string): string | null {
  let n = BigInt(numerator);
  let d = BigInt(denominator);
  if (d === 0n) return null;
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n < 0n ? -n : n, d);
  [n, d] = [n / g, d / g];
  return d === 1n ? String(n) : `${n}/${d}`;
}

const LATEX_FRACTION = /^(-?)\\frac\{([+-]?\d+)\}\{([+-]?\d+)\}$/;
const PLAIN_FRACTION = /^(-?)(\d+)\/([+-]?\d+)$/;

/**
 * Cleans LaTeX spacing and sizing commands, then canonicalises plain numbers and integer fractions
 * ("\dfrac{2}{4}" and "1/2" both become "1/2"); anything else is kept as the cleaned string.
 */
function normaliseMath(answer: string): string | null {
  const cleaned = unwrapText(answer)
    .replace(/\\[dt]frac/g, "\\frac")
    // Lookaheads keep `\leftarrow` and `\rightarrow` intact.
    .replace(/\\(?:left|right)(?![a-zA-Z])/g, "")
    .replace(/\\[!,;:]/g, "")
    .replace(/\s+/g, "");
  if (cleaned === "") return null;
  const number = normaliseNumber(cleaned);
  if (number !== null) return number;
  const fraction = LATEX_FRACTION.exec(cleaned) ?? PLAIN_FRACTION.exec(cleaned);
  if (fraction) {
    const [, sign, numerator, denominator] = fraction;
    return reducedFraction(sign + numerator, denominator) ?? cleaned;
  }
  return cleaned;
}

const DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

function daysInMonth(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** MM/DD/YYYY, zero-padded; null for anything that is not a real calendar date. */
function normaliseDate(answer: string): string | null {
  const match = DATE.exec(answer);
  if (!match) return null;
  const [month, day, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(month, year)) return null;
  return `${String(month).padStart(2, "0")}/${String(day).padStart(2, "0")}/${match[3]}`;
}

// "B", "(b)", "B)", or an option quoted with its text: "(B) 04/05/2021".
const CHOICE = /^\(?([A-Za-z])\)?$|^\(([A-Za-z])\)\s/;

/** The option letter, upper-cased. */
function normaliseChoice(answer: string): string | null {
  const match = CHOICE.exec(answer);
  const letter = match?.[1] ?? match?.[2];
  return letter === undefined ? null : letter.toUpperCase();
}

/** Lower-cased with whitespace collapsed: free text and Game-of-24 expressions compare loosely. */
function normaliseText(answer: string): string | null {
  return answer.toLowerCase().replace(/\s+/g, " ");
}

const normalisers: Record<AnswerFormatName, Normaliser> = {
  text: normaliseText,
  number: normaliseNumber,
  math: normaliseMath,
  date: normaliseDate,
  choice: normaliseChoice,
  game24: normaliseText,
};

/** Trims whitespace, surrounding `$` and a trailing period, until none is left. */
function stripDecoration(raw: string): string {
  let previous: string;
  let current = raw;
  do {
    previous = current;
    current = current.trim().replace(/\.$/, "").replace(/^\$+|\$+$/g, "");
  } while (current !== previous);
  return current;
}

/**
 * The grouping key of a raw answer in the given format, or null when it cannot be read as one
 * (e.g. "twelve" as a number, "02/30/2021" as a date).
 */
export function normaliseAnswer(raw: string, format: AnswerFormatName): string | null {
  const stripped = stripDecoration(raw);
  return stripped === "" ? null : normalisers[format](stripped);
}
