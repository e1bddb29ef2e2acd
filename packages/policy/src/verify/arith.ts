import { combine, formatRational, parseDecimal, roundsToShown, sameRational } from "../rational.js";

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
 */
const equation = new RegExp(
  String.raw`(?<![\w.,]|[-+*×÷/^=]\s*|\d\s*x\s*|\\(?:cdot|times|div)\s*|[)\]}]\s*)` +
    String.raw`(${number})\s*(${operator})\s*(${number})\s*=\s*(${number})` +
    String.raw`(?![\w%]|[.,]\d|\s*[-+*×÷/^=]|\s*x\s*-?\d|\s*\\(?:cdot|times|div))`,
  "gu",
);
/** What may follow an equation at the end of a partial trace and still be completed into more. */
const openEnding = /^(?:[.,]|\s*(?:[-+*×x÷/^=]\s*)?)$/u;

const canonicalOp = { "+": "+", "-": "-", "*": "*", "×": "*", x: "*", "÷": "/", "/": "/" } as const;

/**
 * Finds every binary equation `a op b = c` in a trace (op one of + - * × x ÷ /; integers or
 * decimals, optionally negative) and checks it exactly with rational arithmetic. Equations that
 * are not of that plain binary form are ignored rather than guessed at: a false "wrong" would
 * prune a good branch. Results are judged exactly, except that a decimal rounded or truncated to the
 * places it shows is right (`10 / 3 = 3.33`): traces round, and the rounding is not a slip.
 */
export function checkArithmetic(trace: string, options: ArithOptions = {}): ArithCheck {
  const matches = [...trace.matchAll(equation)];
  const last = matches.at(-1);
  // Only the last equation can be followed by nothing but an open ending.
  if (options.partial && last && openEnding.test(trace.slice(last.index + last[0].length))) matches.pop();
  const stepScores: number[] = [];
  let firstError: string | null = null;
  for (const [, a, op, b, c] of matches) {
    const expected = combine(parseDecimal(a!), canonicalOp[op as keyof typeof canonicalOp], parseDecimal(b!));
    const shown = parseDecimal(c!);
    const right = expected !== null && (sameRational(expected, shown) || roundsToShown(expected, shown, decimalPlaces(c!)));
    stepScores.push(right ? 1 : 0);
    if (!right && firstError === null) {
      const claim = `${a} ${op} ${b}`;
      firstError = `${claim} = ${c} is wrong (${expected === null ? "division by zero" : `${claim} = ${formatRational(expected)}`})`;
    }
  }
  return { steps: stepScores.length, wrong: stepScores.filter((s) => s === 0).length, stepScores, firstError };
}

function decimalPlaces(text: string): number {
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}
