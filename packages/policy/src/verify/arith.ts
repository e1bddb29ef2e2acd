import { combine, formatRational, parseDecimal, roundsToShown, sameRational } from "../rational.js";
import { continuation, readScores, resumeFrom, writeScores } from "./resume.js";
import type { Continuation, VerifyInput } from "./verifier.js";

/** What {@link checkArithmetic} found in a trace. */
export interface ArithCheck {
  /** Equations checked. */
  steps: number;
  /** Equations whose stated result is wrong. */
  wrong: number;
  /** 1 for a right equation, 0 for a wrong one, in order of appearance. */
  stepScores: number[];
  /** The first wrong equation with its correct result, e.g. `47 + 18 = 66 is wrong (47 + 18 = 65)`. */
  firstError: string | null;
}

/** Options of {@link checkArithmetic}. */
export interface ArithOptions {
  /**
   * The trace is still being generated: an equation at its very end may be cut mid-number
   * (`= 6` before `5` arrives) or about to continue into a chain, so it is left for a later call.
   */
  partial?: boolean;
}

const number = String.raw`-?\d+(?:\.\d+)?`;
const operator = String.raw`[-+*×x÷/]`;
/**
 * `a op b = c`, and only when it stands alone: a verdict on a piece of a longer expression would be
 * a verdict on something the trace never claimed. So the match must not continue a number, word or
 * expression on its left (`1,000`, `2 + 3 + 4 = 9`, `y = 3 + 4 = 7`, `4 x 3 x 2 = 24`) nor run on to
 * its right (`= 12%`, `= 1,002`, `= 7 + 1`, `= 5 = 2 + 3`). A trailing full stop is fine: it ends a
 * sentence. `x` counts as times only between numbers, so words ending in x are not operators.
 *
 * Resuming a scan ({@link resumeArithmetic}) relies on how far this pattern reads: its lookbehind reads
 * back at most {@link LOOKBEHIND_CHARS} characters that are not whitespace, and an attempt reads forward
 * only through {@link equationChar}s and then at most {@link LOOKAHEAD_CHARS} more. Change the pattern,
 * and those bounds (the exactness tests on recorded traces check them).
 */
const equation = new RegExp(
  String.raw`(?<![\w.,]|[-+*×÷/^=]\s*|\d\s*x\s*|\\(?:cdot|times|div)\s*|[)\]}]\s*)` +
    String.raw`(${number})\s*(${operator})\s*(${number})\s*=\s*(${number})` +
    String.raw`(?![\w%]|[.,]\d|\s*[-+*×÷/^=]|\s*x\s*-?\d|\s*\\(?:cdot|times|div))`,
  "gu",
);
/** What may follow an equation at the end of a partial trace and still be completed into more. */
const openEnding = /^(?:[.,]|\s*(?:[-+*×x÷/^=]\s*)?)$/u;

/** The lookbehind's longest reach in non-whitespace characters: `\times`, read back from a match's start. */
const LOOKBEHIND_CHARS = 6;
/** Characters an equation's body can span: digits, point, minus, whitespace, operators and `=`. */
const equationChar = /[\d.\s+\-*×x÷/=]/u;
const whitespace = /\s/u;
/**
 * How far past the first character that is not an {@link equationChar} an attempt can read: the
 * lookahead's `\s*\\(?:cdot|times|div)` reads the backslash and up to five letters after it.
 */
const LOOKAHEAD_CHARS = 5;

const canonicalOp = { "+": "+", "-": "-", "*": "*", "×": "*", x: "*", "÷": "/", "/": "/" } as const;

/**
 * Finds every binary equation `a op b = c` in a trace (op one of + - * × x ÷ /; integers or
 * decimals, optionally negative) and checks it exactly with rational arithmetic. Equations that
 * are not of that plain binary form are ignored rather than guessed at: a false "wrong" would
 * prune a good branch. Results are judged exactly, except that a decimal rounded or truncated to the
 * places it shows is right (`10 / 3 = 3.33`): traces round, and the rounding is not a slip.
 */
export function checkArithmetic(trace: string, options: ArithOptions = {}): ArithCheck {
  return resumeArithmetic(arithStart, trace, 0, options).check;
}

/**
 * How far a scan of a trace's equations has got for good. Every equation starting before `scanFrom`
 * is judged here, and however the trace goes on, no other equation starts before it.
 */
interface ArithProgress {
  /** Where the next scan starts, as an index into the whole trace. */
  scanFrom: number;
  /** Scores of the equations before `scanFrom`. */
  stepScores: number[];
  /** The first wrong one among them. */
  firstError: string | null;
}

/** Nothing read yet. */
const arithStart: ArithProgress = { scanFrom: 0, stepScores: [], firstError: null };

/** What {@link resumeArithmetic} returns. */
interface ArithResumed {
  /** The check of the whole trace so far: exactly `checkArithmetic(wholeTrace, options)`. */
  check: ArithCheck;
  /** Where the scan stands for good now. */
  progress: ArithProgress;
  /** Where the text of the next call must start: a little before `progress.scanFrom`, for the lookbehind. */
  resumeOffset: number;
}

/**
 * {@link checkArithmetic} of a trace given from `offset` on (`text`), resuming from `progress`, which
 * an earlier call returned with a `resumeOffset` at or after `offset` (or {@link arithStart} with
 * `offset` 0). Only the text from `progress.scanFrom` on is scanned.
 *
 * Why the result is exact, not an approximation: the global scan of the whole trace tries start
 * positions left to right, and an attempt's outcome depends only on the characters it reads.
 * - Backwards, the lookbehind reads at most {@link LOOKBEHIND_CHARS} non-whitespace characters (and
 *   the whitespace between them), so the next call gets the trace from the sixth such character
 *   before `scanFrom` on: every attempt from `scanFrom` sees the same left context as in the whole trace.
 * - Forwards, an attempt reads only equation characters and then at most {@link LOOKAHEAD_CHARS}
 *   more. So an attempt that starts before a non-equation character with at least that many
 *   characters after it reads nothing the rest of the trace can change: its match (or failure) is
 *   final. Those equations are kept, and the next scan starts after them (or at that character).
 *   Equations after it are judged now but scanned again next time, with the partial-trace rule for
 *   the last one applied exactly as on the whole trace. That rule never drops a kept equation: what
 *   follows a kept one holds a non-equation character and five more, while an open ending after a
 *   match (whose lookahead excludes an operator after it but `x`) is whitespace, `x` and `.` only,
 *   or a lone `,`.
 * So incremental and whole-trace results never differ. The cost per call is the new text plus the
 * trailing run of equation characters: a trace that is nothing but digits, spaces and operators for
 * a long stretch is rescanned over that stretch (still exact).
 */
function resumeArithmetic(progress: ArithProgress, text: string, offset: number, options: ArithOptions = {}): ArithResumed {
  const scan = new RegExp(equation);
  scan.lastIndex = progress.scanFrom - offset;
  const matches: RegExpExecArray[] = [];
  for (let m = scan.exec(text); m !== null; m = scan.exec(text)) matches.push(m);
  const last = matches.at(-1);
  // Only the last equation can be followed by nothing but an open ending.
  if (options.partial && last && openEnding.test(text.slice(last.index + last[0].length))) matches.pop();

  // Equations starting before `settled` are final: they are kept, and the next scan starts after them.
  const settled = settledBefore(text);
  const kept: ArithProgress = {
    scanFrom: Math.max(progress.scanFrom - offset, settled),
    stepScores: [...progress.stepScores],
    firstError: progress.firstError,
  };
  const stepScores = [...progress.stepScores];
  let firstError = progress.firstError;
  for (const m of matches) {
    const { score, error } = judge(m);
    stepScores.push(score);
    firstError ??= error;
    if (m.index < settled) {
      kept.stepScores.push(score);
      kept.firstError ??= error;
      kept.scanFrom = Math.max(kept.scanFrom, m.index + m[0].length);
    }
  }
  const resumeOffset = offset + contextStart(text, kept.scanFrom);
  kept.scanFrom += offset;
  return {
    check: { steps: stepScores.length, wrong: stepScores.filter((s) => s === 0).length, stepScores, firstError },
    progress: kept,
    resumeOffset,
  };
}

/** The kind of the arithmetic check's resume state (see `resume.ts`). */
const ARITH_STATE = "arith/1";

/**
 * {@link checkArithmetic} of a verify input, resumed from its resume state, with the continuation for
 * the next call: the one reading of arithmetic that the `arith` and `rule` verifiers share. The state
 * holds the scan position (relative to the continuation's offset), the kept scores as a string of 0s
 * and 1s, and the first error among them.
 */
export function resumedArithmetic(input: VerifyInput): { check: ArithCheck; continuation: Continuation } {
  // A state whose scan starts past the end of the text does not fit it.
  const { text, offset, state } = resumeFrom(input, ARITH_STATE, readState, (s, text) => s.ahead <= text.length);
  const progress = state ? { scanFrom: offset + state.ahead, stepScores: state.stepScores, firstError: state.firstError } : arithStart;
  const next = resumeArithmetic(progress, text, offset, { partial: !input.final });
  const wire: ArithState = {
    ahead: next.progress.scanFrom - next.resumeOffset,
    scores: writeScores(next.progress.stepScores),
    firstError: next.progress.firstError,
  };
  return { check: next.check, continuation: continuation(ARITH_STATE, next.resumeOffset, wire) };
}

/** {@link ArithProgress} as it travels. */
interface ArithState {
  /** `scanFrom` minus the continuation's offset. */
  ahead: number;
  scores: string;
  firstError: string | null;
}

function readState(raw: unknown): { ahead: number; stepScores: number[]; firstError: string | null } | null {
  const s = raw as Partial<Record<keyof ArithState, unknown>> | null;
  if (typeof s?.ahead !== "number" || !Number.isInteger(s.ahead) || s.ahead < 0) return null;
  const stepScores = readScores(s.scores);
  if (stepScores === null || (s.firstError !== null && typeof s.firstError !== "string")) return null;
  return { ahead: s.ahead, stepScores, firstError: s.firstError };
}

function judge([, a, op, b, c]: RegExpExecArray): { score: number; error: string | null } {
  const expected = combine(parseDecimal(a!), canonicalOp[op as keyof typeof canonicalOp], parseDecimal(b!));
  const shown = parseDecimal(c!);
  const right = expected !== null && (sameRational(expected, shown) || roundsToShown(expected, shown, decimalPlaces(c!)));
  if (right) return { score: 1, error: null };
  const claim = `${a} ${op} ${b}`;
  return {
    score: 0,
    error: `${claim} = ${c} is wrong (${expected === null ? "division by zero" : `${claim} = ${formatRational(expected)}`})`,
  };
}

/**
 * The index of the last character that is not an {@link equationChar} with at least
 * {@link LOOKAHEAD_CHARS} characters after it (at a code point's start); 0 when there is none. Every
 * scan attempt starting before it is final (see {@link resumeArithmetic}).
 */
function settledBefore(text: string): number {
  for (let i = text.length - LOOKAHEAD_CHARS - 1; i > 0; i--) {
    if (equationChar.test(text[i]!)) continue;
    return isLowSurrogateOfPair(text, i) ? i - 1 : i;
  }
  return 0;
}

/** Where the text must start for the lookbehind of an attempt at `from` (or later) to see what it sees in the whole trace. */
function contextStart(text: string, from: number): number {
  let seen = 0;
  for (let i = from - 1; i >= 0; i--) {
    if (whitespace.test(text[i]!)) continue;
    if (++seen === LOOKBEHIND_CHARS) return isLowSurrogateOfPair(text, i) ? i - 1 : i;
  }
  return 0;
}

/** Whether `text[i]` is the second half of a surrogate pair (an offset there would cut a character in two). */
function isLowSurrogateOfPair(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  const before = text.charCodeAt(i - 1);
  return code >= 0xdc00 && code <= 0xdfff && before >= 0xd800 && before <= 0xdbff;
}

function decimalPlaces(text: string): number {
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}
