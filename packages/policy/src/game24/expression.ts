/**
 * Game-of-24 arithmetic: one tokenizer, one parser and one exact evaluator for every Game-of-24
 * check (final answers, `a op b = c (left: …)` steps), on the reasoning core's rationals.
 *
 * Operators are `+ - * /` in any of the spellings models write: `×`, `✕`, `✖`, `⨉`, `∗`, `\times`,
 * `·`, `⋅`, `•`, `\cdot` for times; `÷`, `∕`, `\div` for divided by; `−`, `–`, `—` for minus.
 * Brackets and braces are parentheses, and `\left` / `\right` are ignored.
 */
import { combine, integer, parseNumber, type Rational } from "../rational.js";

/** The number every Game-of-24 expression must make. */
export const TARGET = integer(24);

/** A binary operator of the game. */
export type Op = "+" | "-" | "*" | "/";

/** A number as written: its exact value and how precisely it was written. */
export interface Literal {
  readonly text: string;
  readonly value: Rational;
  /** Digits after the decimal point; 0 for integers and fractions. */
  readonly places: number;
  /** Written as `a/b` (step notation). */
  readonly fraction: boolean;
}

/** A parsed expression. */
export type Node =
  | { kind: "number"; literal: Literal }
  /** `a/b` written without spaces in step notation: one number of the pool (`5/3`), or else `a / b`. */
  | { kind: "fraction"; literal: Literal; a: Literal; b: Literal }
  | { kind: "binary"; op: Op; left: Node; right: Node };

/** A token with where it stands in the text, so the parser can tell `-6` and `5/3` from `- 6` and `5 / 3`. */
export type Token = { start: number; end: number } & (
  { kind: "number"; text: string } | { kind: "op"; op: Op } | { kind: "open" } | { kind: "close" }
);

/** Unicode and LaTeX spellings of the operators and brackets, replaced before tokenising. */
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

const NUMBER_AT = /^(?:\d+(?:\.\d+)?|\.\d+)/;

/** The tokens of an arithmetic expression, or why it is not one. */
export function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  const source = asciiOperators(text);
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /[\d.]/.test(c) ? NUMBER_AT.exec(source.slice(i)) : null;
    if (number) {
      tokens.push({ kind: "number", text: number[0], start: i, end: i + number[0].length });
      i += number[0].length;
      continue;
    }
    if (c === "+" || c === "-" || c === "*" || c === "/") tokens.push({ kind: "op", op: c, start: i, end: i + 1 });
    else if (c === "(") tokens.push({ kind: "open", start: i, end: i + 1 });
    else if (c === ")") tokens.push({ kind: "close", start: i, end: i + 1 });
    else return `unexpected character "${c}"`;
    i++;
  }
  return tokens.length === 0 ? "empty expression" : tokens;
}

/** Options of {@link parseExpression}. */
export interface ParseOptions {
  /**
   * Step notation, as models write the `a op b = c (left: …)` steps: a minus written against a
   * number where an operand must start is its sign (`5 * -6`), and `a/b` written without spaces is
   * one number (`8 / 1/3`: the pool holds 1/3). Final answers are plain arithmetic: the numbers are
   * the puzzle's, there is no unary minus in the game, and `a / b/c` is `(a / b) / c`.
   * @default false
   */
  steps?: boolean;
}

/** Parses `+ - * /` with the usual precedence and parentheses; the expression, or why it is not one. */
export function parseExpression(text: string, options: ParseOptions = {}): Node | string {
  const read = tokenize(text);
  if (typeof read === "string") return read;
  const tokens: Token[] = read;
  const steps = options.steps ?? false;
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  /** Whether token `i` is written against the token before it, with no space between. */
  const attached = (i: number): boolean => tokens[i] !== undefined && tokens[i]!.start === tokens[i - 1]?.end;

  /** A left-associative chain of `next` joined by the operators `ops`. */
  const chain = (ops: readonly Op[], next: () => Node) => (): Node => {
    let left = next();
    for (let t = peek(); t?.kind === "op" && ops.includes(t.op); t = peek()) {
      at++;
      left = { kind: "binary", op: t.op, left, right: next() };
    }
    return left;
  };
  const product = chain(["*", "/"], operand);
  const sum = chain(["+", "-"], product);

  function operand(): Node {
    const token = tokens[at++];
    if (token === undefined) throw new ParseError("the expression ends too early");
    if (token.kind === "number") return number(readLiteral(token.text)!);
    if (token.kind === "open") {
      const inner = sum();
      if (tokens[at++]?.kind !== "close") throw new ParseError("unbalanced parentheses");
      return inner;
    }
    if (token.kind === "close") throw new ParseError("unbalanced parentheses");
    const next = tokens[at];
    if (steps && token.op === "-" && next?.kind === "number" && attached(at)) {
      at++;
      return number(readLiteral(`-${next.text}`)!);
    }
    if (token.op === "-" || token.op === "+") {
      throw new ParseError(`unary ${token.op === "-" ? "minus" : "plus"} is not an operation of the game`);
    }
    throw new ParseError(`operator "${token.op}" without a left operand`);
  }

  /** A number, or in step notation the fraction `a/b` it starts. */
  function number(a: Literal): Node {
    const [slash, b] = [tokens[at], tokens[at + 1]];
    if (!steps || slash?.kind !== "op" || slash.op !== "/" || b?.kind !== "number" || !attached(at) || !attached(at + 1)) {
      return { kind: "number", literal: a };
    }
    at += 2;
    const denominator = readLiteral(b.text)!;
    const literal = readLiteral(`${a.text}/${b.text}`);
    // `a/0` is no number: it reads as a division, which then fails on the zero.
    return literal === null ? divide(a, denominator) : { kind: "fraction", literal, a, b: denominator };
  }

  try {
    const node = sum();
    const rest = tokens[at];
    if (rest !== undefined) {
      return rest.kind === "close" ? "unbalanced parentheses" : "two operands without an operator between them";
    }
    return node;
  } catch (error) {
    if (error instanceof ParseError) return error.message;
    throw error;
  }
}

class ParseError extends Error {}

/** A number as written (`6`, `-6`, `1.666`, `.5`, `5/3`); null when it is none, or divides by zero. */
export function readLiteral(text: string): Literal | null {
  const value = parseNumber(text);
  if (value === null) return null;
  const fraction = text.includes("/");
  return { text, value, fraction, places: fraction ? 0 : (text.split(".")[1]?.length ?? 0) };
}

/** `a / b` as a node. */
function divide(a: Literal, b: Literal): Node {
  return { kind: "binary", op: "/", left: { kind: "number", literal: a }, right: { kind: "number", literal: b } };
}

/** The numbers an expression is written with, in order (a fraction counts as one). */
export function literals(node: Node): Literal[] {
  return node.kind === "binary" ? [...literals(node.left), ...literals(node.right)] : [node.literal];
}

/** The value of an expression exactly from the numbers it consumed, and as its written numbers say. */
export interface Value {
  readonly exact: Rational;
  readonly written: Rational;
}

/** Why an expression has no value: a division by zero, or a number the leaf function would not give. */
export type EvaluationFailure = { failure: "divides by zero" } | { failure: "not available"; literal: Literal };

/**
 * Evaluates `node` exactly. `leaf` gives the value a written number stands for (null: not available);
 * a final answer's numbers stand for themselves, a step's are taken from the numbers left. A
 * fraction node is one number when `leaf` has it, else the division of its parts.
 */
export function evaluate(node: Node, leaf: (literal: Literal) => Value | null): Value | EvaluationFailure {
  switch (node.kind) {
    case "number": {
      const value = leaf(node.literal);
      return value ?? { failure: "not available", literal: node.literal };
    }
    case "fraction":
      return leaf(node.literal) ?? evaluate(divide(node.a, node.b), leaf);
    case "binary": {
      const left = evaluate(node.left, leaf);
      if ("failure" in left) return left;
      const right = evaluate(node.right, leaf);
      if ("failure" in right) return right;
      const exact = combine(left.exact, node.op, right.exact);
      if (exact === null) return { failure: "divides by zero" };
      return { exact, written: combine(left.written, node.op, right.written) ?? exact };
    }
  }
}
