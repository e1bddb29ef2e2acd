/**
 * Game-of-24 answers: reading the puzzle's numbers from a prompt and the expression from an answer,
 * the answer's grouping key, and the one check of a final answer (used by answer equivalence, the
 * evaluator's correctness and the `rule` verifier alike).
 *
 * Rules checked: the expression uses exactly the four given numbers (as a multiset), only the binary
 * operators + - * / and parentheses (in any spelling {@link tokenize} reads), and equals 24 exactly;
 * a trailing `= 24` is allowed. Unary minus is not an operation of the game and is rejected.
 */
import { formatFraction, sameRational } from "../rational.js";
import { evaluate, literals, parseExpression, TARGET, tokenize } from "./expression.js";

/** Splits off a trailing "= 24" (any right-hand side); null when there are several "=". */
function splitEquation(text: string): { lhs: string; rhs: string | null } | null {
  const parts = text.split("=");
  if (parts.length > 2) return null;
  return { lhs: parts[0]!, rhs: parts.length === 2 ? parts[1]!.trim() : null };
}

const sortNumeric = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** Result of checking a Game-of-24 expression. */
export interface Game24Check {
  valid: boolean;
  /** Why it is valid or not, for logs and prune reasons. */
  reason: string;
}

/**
 * Whether `expression` solves the Game of 24 for `numbers`: exactly those numbers (as a multiset),
 * binary + - * / and parentheses, exactly 24 in rational arithmetic (a division by zero makes it
 * invalid). Accepts the operator spellings of {@link tokenize} and a trailing "= 24".
 */
export function checkGame24(expression: string, numbers: readonly number[]): Game24Check {
  const split = splitEquation(expression);
  if (split === null) return { valid: false, reason: 'more than one "="' };
  if (split.rhs !== null && !/^24(?:\.0*)?$/.test(split.rhs)) {
    return { valid: false, reason: `the expression is set equal to ${split.rhs || "nothing"}, not 24` };
  }
  const node = parseExpression(split.lhs);
  if (typeof node === "string") return { valid: false, reason: node };
  const value = evaluate(node, (literal) => ({ exact: literal.value, written: literal.value }));
  if ("failure" in value) return { valid: false, reason: "division by zero" };
  const operands = literals(node).map((l) => l.text);
  const want = sortNumeric(numbers);
  const got = sortNumeric(operands.map(Number));
  if (got.length !== want.length || got.some((x, i) => x !== want[i])) {
    return { valid: false, reason: `uses ${operands.join(" ")}, but the numbers are ${numbers.join(" ")}` };
  }
  if (!sameRational(value.exact, TARGET)) return { valid: false, reason: `equals ${formatFraction(value.exact)}, not 24` };
  return { valid: true, reason: `uses ${numbers.join(" ")} and equals 24` };
}

/**
 * The numbers an expression uses, when it is a well-formed expression equal to exactly 24 over four
 * numbers; null otherwise. Used to compare answers when the puzzle's numbers are not known.
 */
export function game24Operands(expression: string): number[] | null {
  const split = splitEquation(expression);
  if (split === null) return null;
  const tokens = tokenize(split.lhs);
  if (typeof tokens === "string") return null;
  const operands = tokens.flatMap((t) => (t.kind === "number" ? [Number(t.text)] : []));
  if (operands.length !== 4) return null;
  return checkGame24(expression, operands).valid ? sortNumeric(operands) : null;
}

/** Phrases that say the model found no solution ("Answer: None", "Not possible", "There is no solution ..."). */
const NO_SOLUTION =
  /^\W*none\b|^\W*n\/a\b|\b(?:no|not|cannot|can't|can ?not|impossible|unable|invalid|unsolvable|incorrect|wrong|doesn't|does not)\b|!=|≠/i;

/**
 * The expression of a Game-of-24 answer: the text left of its "=" ("(6 - 4) * 5 = 24" → "(6 - 4) * 5"),
 * or null when the answer says there is no solution or holds no arithmetic expression.
 */
export function game24Expression(answer: string): string | null {
  const text = answer
    .trim()
    .replace(/^\$+|\$+$/g, "")
    .trim();
  if (!/\d/.test(text) || NO_SOLUTION.test(text)) return null;
  const lhs = text.split("=")[0]!.trim();
  const tokens = tokenize(lhs);
  if (typeof tokens === "string" || !tokens.some((t) => t.kind === "number")) return null;
  return lhs;
}

/**
 * The grouping key of a Game-of-24 answer: the expression in canonical spacing
 * ("(8-4)×6 = 24" → "(8 - 4) * 6"); null for "no solution" answers. Text that is not an arithmetic
 * expression is kept lower-cased with whitespace collapsed, so equal texts still group.
 */
export function normaliseGame24(answer: string): string | null {
  const text = answer.trim();
  if (text === "" || !/\d/.test(text) || NO_SOLUTION.test(text)) return null;
  const lhs = text.split("=")[0]!.trim();
  const tokens = tokenize(lhs);
  if (typeof tokens === "string") return text.toLowerCase().replace(/\s+/g, " ");
  return tokens
    .map((t) => (t.kind === "number" ? t.text : t.kind === "op" ? t.op : t.kind === "open" ? "(" : ")"))
    .join(" ")
    .replace(/\( /g, "(")
    .replace(/ \)/g, ")");
}

/**
 * The expression of the last `Answer:` line of a trace, without the `= 24` it claims and without
 * decoration (`$`, `**`, a full stop); null when the trace has no `Answer:` line.
 */
export function game24AnswerExpression(trace: string): string | null {
  const line = lastAnswerLine(trace);
  return line === undefined ? null : answerLineExpression(line);
}

/**
 * What follows the `Answer:` of the last `Answer:` line of a text; undefined when it has none. No
 * match spans a newline, so for a text read in pieces cut after newlines, the last answer line of
 * the whole is the last one found in the pieces.
 */
export function lastAnswerLine(text: string): string | undefined {
  return [...text.matchAll(/^[ \t*#>-]*answer\**[ \t]*:\**([^\n]*)$/gim)].at(-1)?.[1];
}

/** The expression of an answer line's text (see {@link game24AnswerExpression}). */
export function answerLineExpression(line: string): string {
  return line
    .split("=")[0]!
    .trim()
    .replace(/^[$*\s]+|[$*.\s]+$/g, "");
}

const FOUR_NUMBERS = /^\s*(\d+(?:\.\d+)?)(?:\s*,\s*|\s+)(\d+(?:\.\d+)?)(?:\s*,\s*|\s+)(\d+(?:\.\d+)?)(?:\s*,\s*|\s+)(\d+(?:\.\d+)?)\s*$/;

/**
 * The four numbers of a Game-of-24 prompt: from its last "Input: 4 5 6 10" line, or from a prompt
 * that is just four numbers (separated by spaces or commas). Null when neither is there.
 */
export function parseGame24Numbers(prompt: string): number[] | null {
  const inputs = [...prompt.matchAll(/^[ \t]*input[ \t]*:(.*)$/gim)];
  const text = inputs.length > 0 ? inputs.at(-1)![1]! : prompt;
  const match = FOUR_NUMBERS.exec(text);
  return match ? match.slice(1, 5).map(Number) : null;
}
