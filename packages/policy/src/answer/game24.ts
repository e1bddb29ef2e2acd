/**
 * Game of 24: reading an expression out of an answer, checking it in exact rational arithmetic, and
 * reading the four numbers out of a prompt.
 *
 * Rules checked: the expression uses exactly the four given numbers (as a multiset), only the binary
 * operators + - * / and parentheses, and equals 24 exactly. `×`, `÷`, `·`, `−`, `\times`, `\div`,
 * `\cdot` and square brackets are read as their ASCII forms; a trailing `= 24` is allowed. Unary
 * minus is not an operation of the game and is rejected.
 */

/** A rational number in lowest terms with a positive denominator. */
interface Rational {
  n: bigint;
  d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function rational(n: bigint, d: bigint): Rational {
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}

function show(r: Rational): string {
  return r.d === 1n ? String(r.n) : `${r.n}/${r.d}`;
}

type Token = { kind: "num"; text: string } | { kind: "op"; op: "+" | "-" | "*" | "/" } | { kind: "open" } | { kind: "close" };

/** Unicode and LaTeX spellings of the operators, replaced before tokenising. */
function asciiOperators(text: string): string {
  return text
    .replace(/\\times|[×✕✖⨉∗]/g, "*")
    .replace(/\\cdot|[·⋅•]/g, "*")
    .replace(/\\div|[÷∕]/g, "/")
    .replace(/[−–—]/g, "-")
    .replace(/\\left|\\right/g, "")
    .replace(/[[{]/g, "(")
    .replace(/[\]}]/g, ")");
}

/** Tokens of an arithmetic expression, or the reason it is not one. */
function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  const source = asciiOperators(text);
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (/\d/.test(c) || (c === "." && /\d/.test(source[i + 1] ?? ""))) {
      const text = /^(?:\d+(?:\.\d+)?|\.\d+)/.exec(source.slice(i))![0];
      tokens.push({ kind: "num", text });
      i += text.length;
    } else if (c === "+" || c === "-" || c === "*" || c === "/") {
      tokens.push({ kind: "op", op: c });
      i++;
    } else if (c === "(") {
      tokens.push({ kind: "open" });
      i++;
    } else if (c === ")") {
      tokens.push({ kind: "close" });
      i++;
    } else {
      return `unexpected character "${c}"`;
    }
  }
  return tokens.length === 0 ? "empty expression" : tokens;
}

/** Decimal text → exact rational ("7.2" → 36/5). */
function parseDecimal(text: string): Rational {
  const [whole = "", fraction = ""] = text.split(".");
  const digits = (whole || "0") + fraction;
  return rational(BigInt(digits), 10n ** BigInt(fraction.length));
}

class Evaluation extends Error {}

/** Recursive descent over the tokens: value and the operands used, in order. */
function evaluate(tokens: Token[]): { value: Rational; operands: string[] } {
  let pos = 0;
  const operands: string[] = [];
  const peek = (): Token | undefined => tokens[pos];

  function factor(): Rational {
    const token = tokens[pos++];
    if (token === undefined) throw new Evaluation("the expression ends too early");
    if (token.kind === "num") {
      operands.push(token.text);
      return parseDecimal(token.text);
    }
    if (token.kind === "open") {
      const value = sum();
      if (tokens[pos++]?.kind !== "close") throw new Evaluation("unbalanced parentheses");
      return value;
    }
    if (token.kind === "op" && (token.op === "-" || token.op === "+")) {
      throw new Evaluation(`unary ${token.op === "-" ? "minus" : "plus"} is not an operation of the game`);
    }
    throw new Evaluation(
      token.kind === "close" ? "unbalanced parentheses" : `operator "${token.kind === "op" ? token.op : ""}" without a left operand`,
    );
  }

  function product(): Rational {
    let value = factor();
    for (let t = peek(); t?.kind === "op" && (t.op === "*" || t.op === "/"); t = peek()) {
      pos++;
      const right = factor();
      if (t.op === "*") {
        value = rational(value.n * right.n, value.d * right.d);
      } else {
        if (right.n === 0n) throw new Evaluation("division by zero");
        value = rational(value.n * right.d, value.d * right.n);
      }
    }
    return value;
  }

  function sum(): Rational {
    let value = product();
    for (let t = peek(); t?.kind === "op" && (t.op === "+" || t.op === "-"); t = peek()) {
      pos++;
      const right = product();
      const sign = t.op === "+" ? 1n : -1n;
      value = rational(value.n * right.d + sign * right.n * value.d, value.d * right.d);
    }
    return value;
  }

  const value = sum();
  if (pos < tokens.length) {
    const t = tokens[pos]!;
    throw new Evaluation(t.kind === "close" ? "unbalanced parentheses" : "two operands without an operator between them");
  }
  return { value, operands };
}

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
 * binary + - * / and parentheses, exactly 24 in rational arithmetic (bigint numerator and
 * denominator; a division by zero makes it invalid). Accepts ×, ÷ and a trailing "= 24".
 */
export function checkGame24(expression: string, numbers: readonly number[]): Game24Check {
  const split = splitEquation(expression);
  if (split === null) return { valid: false, reason: 'more than one "="' };
  if (split.rhs !== null && !/^24(?:\.0*)?$/.test(split.rhs)) {
    return { valid: false, reason: `the expression is set equal to ${split.rhs || "nothing"}, not 24` };
  }
  const tokens = tokenize(split.lhs);
  if (typeof tokens === "string") return { valid: false, reason: tokens };
  let result: { value: Rational; operands: string[] };
  try {
    result = evaluate(tokens);
  } catch (error) {
    if (error instanceof Evaluation) return { valid: false, reason: error.message };
    throw error;
  }
  const used = result.operands.map(Number);
  const want = sortNumeric(numbers);
  const got = sortNumeric(used);
  if (got.length !== want.length || got.some((x, i) => x !== want[i])) {
    return { valid: false, reason: `uses ${result.operands.join(" ")}, but the numbers are ${numbers.join(" ")}` };
  }
  if (result.value.n !== 24n || result.value.d !== 1n) {
    return { valid: false, reason: `equals ${show(result.value)}, not 24` };
  }
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
  const operands = tokens.filter((t): t is { kind: "num"; text: string } => t.kind === "num").map((t) => Number(t.text));
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
  if (typeof tokens === "string" || !tokens.some((t) => t.kind === "num")) return null;
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
    .map((t) => (t.kind === "num" ? t.text : t.kind === "op" ? t.op : t.kind === "open" ? "(" : ")"))
    .join(" ")
    .replace(/\( /g, "(")
    .replace(/ \)/g, ")");
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
