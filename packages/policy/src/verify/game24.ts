/**
 * Game of 24 in exact rational arithmetic: reading the four numbers from a prompt, checking the
 * final `Answer:` expression, checking the `a op b = c (left: x y z)` steps of a (partial) trace, and
 * deciding whether a multiset of numbers can still make 24. Pure; the search is memoised.
 *
 * The step format is the one of the Tree-of-Thoughts prompts (Yao et al. 2023) that GPT-4 follows:
 *
 *     Steps:
 *     10 - 4 = 6 (left: 5 6 6)
 *     6 * 5 = 30 (left: 6 30)
 *     30 - 6 = 24 (left: 24)
 *     Answer: (10 - 4) * 5 - 6 = 24
 */
import {
  combine,
  compareRational,
  distance,
  formatRational,
  integer,
  parseNumber,
  roundsToShown,
  sameRational,
  type Rational,
} from "./rational.js";

const TARGET = integer(24);

/** A number as written in a trace: its exact value and how precisely it was written. */
interface Literal {
  readonly text: string;
  readonly value: Rational;
  /** Digits after the decimal point; 0 for integers and fractions. */
  readonly places: number;
  /** Written as `a/b`. */
  readonly fraction: boolean;
}

function readLiteral(text: string): Literal | null {
  const value = parseNumber(text);
  if (value === null) return null;
  const fraction = text.includes("/");
  return { text, value, fraction, places: fraction ? 0 : (text.split(".")[1]?.length ?? 0) };
}

/**
 * Whether a written number stands for `value`. Integers and fractions must be exact. A decimal with
 * p digits after the point must be exact, or `value` rounded (half away from zero) or truncated to
 * p digits: GPT-4 writes 1.666 or 1.667 (or 1.67, 1.7, 1.6) for 5/3, and 7.2 for 36/5, but 1.5 or
 * 1.8 for 5/3 is wrong, and so is 3.4 for 10/3. The numbers carry on exactly, so rounding never
 * accumulates.
 */
function standsFor(literal: Literal, value: Rational): boolean {
  if (sameRational(literal.value, value)) return true;
  return !literal.fraction && roundsToShown(value, literal.value, literal.places);
}

// ---------------------------------------------------------------------------------------------
// Expressions

type Op = "+" | "-" | "*" | "/";

type Node =
  | { kind: "number"; literal: Literal }
  /** `a/b` written without spaces: one fraction in a step (`5/3`), or a division `a / b`. */
  | { kind: "fraction"; literal: Literal; a: Literal; b: Literal }
  | { kind: "binary"; op: Op; left: Node; right: Node };

type Token = { kind: "number"; node: Node } | { kind: "op"; op: Op } | { kind: "(" } | { kind: ")" };

const OPERATORS: Record<string, Op> = { "+": "+", "-": "-", "−": "-", "*": "*", "×": "*", "∗": "*", "/": "/", "÷": "/" };
const NUMBER_AT = /^-?\d+(?:\.\d+)?/;
const DENOMINATOR_AT = /^\/(\d+(?:\.\d+)?)/;

function tokenize(text: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "(" || ch === "[") {
      tokens.push({ kind: "(" });
      i++;
      continue;
    }
    if (ch === ")" || ch === "]") {
      tokens.push({ kind: ")" });
      i++;
      continue;
    }
    const previous = tokens.at(-1);
    // A minus is a sign only where an operand must start; elsewhere it subtracts.
    const operandExpected = previous === undefined || previous.kind === "op" || previous.kind === "(";
    const number = /\d/.test(ch) || (ch === "-" && operandExpected) ? NUMBER_AT.exec(text.slice(i)) : null;
    if (number) {
      i += number[0].length;
      const head = readLiteral(number[0])!;
      const denominator = DENOMINATOR_AT.exec(text.slice(i));
      if (denominator) {
        i += denominator[0].length;
        const b = readLiteral(denominator[1]!)!;
        const literal = readLiteral(`${number[0]}/${denominator[1]}`);
        // `a/0` reads as a division, which then fails on the zero.
        tokens.push({ kind: "number", node: literal ? { kind: "fraction", literal, a: head, b } : divide(head, b) });
      } else {
        tokens.push({ kind: "number", node: { kind: "number", literal: head } });
      }
      continue;
    }
    const op = OPERATORS[ch];
    if (op === undefined) return null;
    tokens.push({ kind: "op", op });
    i++;
  }
  return tokens;
}

function divide(a: Literal, b: Literal): Node {
  return { kind: "binary", op: "/", left: { kind: "number", literal: a }, right: { kind: "number", literal: b } };
}

/** Parses `+ - * /` with the usual precedence and parentheses; null when the text is not such an expression. */
function parseExpression(text: string): Node | null {
  const read = tokenize(text);
  if (read === null || read.length === 0) return null;
  const tokens: Token[] = read;
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  function sum(): Node | null {
    let left = product();
    for (let t = peek(); left && t?.kind === "op" && (t.op === "+" || t.op === "-"); t = peek()) {
      at++;
      const right = product();
      left = right && { kind: "binary", op: t.op, left, right };
    }
    return left;
  }
  function product(): Node | null {
    let left = operand();
    for (let t = peek(); left && t?.kind === "op" && (t.op === "*" || t.op === "/"); t = peek()) {
      at++;
      const right = operand();
      left = right && { kind: "binary", op: t.op, left, right };
    }
    return left;
  }
  function operand(): Node | null {
    const t = tokens[at++];
    if (t?.kind === "number") return t.node;
    if (t?.kind !== "(") return null;
    const inner = sum();
    return tokens[at++]?.kind === ")" ? inner : null;
  }
  const node = sum();
  return node !== null && at === tokens.length ? node : null;
}

/** The value of an expression, exactly from the numbers it consumed, and as its written numbers say. */
interface Evaluation {
  exact: Rational;
  written: Rational;
}

interface EvaluateOptions {
  /** A written decimal may stand for a number it rounds (see {@link standsFor}); else exact only. */
  approximate: boolean;
  /** `a/b` may be one number of the pool (a step's `5/3`); else it is always a division. */
  fractions: boolean;
}

/** A number in play: its exact value and the value the trace wrote for it (the same, or rounded). */
interface Item {
  readonly exact: Rational;
  readonly written: Rational;
}

const exactly = (value: Rational): Item => ({ exact: value, written: value });

/**
 * Removes the number `literal` stands for from `pool`: an exact match first, else (when
 * `approximate`) the closest number it rounds, or whose rounding as written it repeats.
 */
function take(pool: Item[], literal: Literal, approximate: boolean): Item | null {
  let index = pool.findIndex((v) => sameRational(v.exact, literal.value));
  if (index < 0 && approximate) {
    const gap = (v: Item): Rational => distance(literal.value, v.exact);
    for (const [i, v] of pool.entries()) {
      if (!standsFor(literal, v.exact) && !standsFor(literal, v.written)) continue;
      if (index < 0 || compareRational(gap(v), gap(pool[index]!)) < 0) index = i;
    }
  }
  return index < 0 ? null : pool.splice(index, 1)[0]!;
}

/**
 * Evaluates `node`, consuming every number it uses from `pool` (mutated). Returns the evaluation or
 * the reason it failed: a number that is not in the pool, or a division by zero.
 */
function evaluate(node: Node, pool: Item[], options: EvaluateOptions): Evaluation | string {
  switch (node.kind) {
    case "number": {
      const item = take(pool, node.literal, options.approximate);
      return item === null ? `uses ${node.literal.text}` : { exact: item.exact, written: node.literal.value };
    }
    case "fraction": {
      if (options.fractions) {
        const item = take(pool, node.literal, options.approximate);
        if (item !== null) return { exact: item.exact, written: node.literal.value };
      }
      return evaluate(divide(node.a, node.b), pool, options);
    }
    case "binary": {
      const left = evaluate(node.left, pool, options);
      if (typeof left === "string") return left;
      const right = evaluate(node.right, pool, options);
      if (typeof right === "string") return right;
      const exact = combine(left.exact, node.op, right.exact);
      if (exact === null) return "divides by zero";
      return { exact, written: combine(left.written, node.op, right.written) ?? exact };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading prompts and answers

/**
 * The expression of the last `Answer:` line, without the `= 24` it claims and without decoration
 * (`$`, `**`, a full stop); null when the trace has no `Answer:` line.
 */
export function game24AnswerExpression(trace: string): string | null {
  const line = [...trace.matchAll(/^[ \t*#>-]*answer\**[ \t]*:\**([^\n]*)$/gim)].at(-1)?.[1];
  if (line === undefined) return null;
  return line
    .split("=")[0]!
    .trim()
    .replace(/^[$*\s]+|[$*.\s]+$/g, "");
}

/** Verdict on a final Game-of-24 answer. */
export interface Game24AnswerCheck {
  /** The expression uses each of the four numbers exactly once and equals 24 exactly. */
  ok: boolean;
  reason: string;
}

/**
 * Whether `expression` (`(10 - 4) * 5 - 6`, with or without `= 24`) uses exactly the given numbers,
 * each once, with + - * / and parentheses, and equals 24 in exact rational arithmetic.
 */
export function checkGame24Answer(expression: string, numbers: readonly number[]): Game24AnswerCheck {
  const text = expression.split("=")[0]!.trim();
  const shown = `"${text}"`;
  const node = parseExpression(text);
  if (node === null) return { ok: false, reason: `cannot read ${shown} as an arithmetic expression` };
  const pool = numbers.map((n) => exactly(integer(n)));
  const given = numbers.join(" ");
  const value = evaluate(node, pool, { approximate: false, fractions: false });
  if (typeof value === "string") {
    return {
      ok: false,
      reason: `${shown} ${value === "divides by zero" ? value : `${value.slice("uses ".length)} is not one of ${given} (or is used too often)`}`,
    };
  }
  if (pool.length > 0) return { ok: false, reason: `${shown} leaves ${show(pool)} of ${given} unused` };
  if (!sameRational(value.exact, TARGET)) return { ok: false, reason: `${shown} equals ${formatRational(value.exact)}, not 24` };
  return { ok: true, reason: `${text} = 24 uses ${given} exactly` };
}

// ---------------------------------------------------------------------------------------------
// Can these numbers still make 24?

const reachable = new Map<string, boolean>();
const MEMO_LIMIT = 200_000;

function keyOf(values: readonly Rational[]): string {
  return values
    .map((v) => `${v.num}/${v.den}`)
    .sort()
    .join(",");
}

/**
 * Whether the numbers can make exactly 24 with + - * / (each number used once, any order and
 * bracketing): an exhaustive search over pairs, in exact rationals, memoised on the multiset.
 */
export function canMake24(values: readonly Rational[]): boolean {
  if (values.length === 0) return false;
  if (values.length === 1) return sameRational(values[0]!, TARGET);
  const key = keyOf(values);
  const known = reachable.get(key);
  if (known !== undefined) return known;
  let found = false;
  search: for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) {
      const rest = values.filter((_, k) => k !== i && k !== j);
      const [a, b] = [values[i]!, values[j]!];
      for (const r of [
        combine(a, "+", b),
        combine(a, "*", b),
        combine(a, "-", b),
        combine(b, "-", a),
        combine(a, "/", b),
        combine(b, "/", a),
      ]) {
        if (r !== null && canMake24([...rest, r])) {
          found = true;
          break search;
        }
      }
    }
  }
  if (reachable.size >= MEMO_LIMIT) reachable.clear();
  reachable.set(key, found);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Steps

/** What {@link checkGame24Steps} found. */
export interface Game24StepCheck {
  /** Steps judged (lines with `(left: ...)`), up to and including the first bad one. */
  steps: number;
  /** 1 per good step, then 0 at the first bad one; nothing after it. */
  stepScores: number[];
  /** Why the first bad step is bad, naming it; null when every step judged is good. */
  firstError: string | null;
  /** A step that could not be read, after which nothing was judged (no verdict either way). */
  unread: string | null;
  /** The numbers left after the last good step. */
  left: Rational[];
}

/** Options of {@link checkGame24Steps}. */
export interface Game24StepOptions {
  /** The trace is still being generated: its last line, not yet ended by a newline, waits. */
  partial?: boolean;
}

const STEP_LINE = /^(.*?)\(\s*left\s*:\s*([^)]*)\)?/i;
const LIST_MARKER = /^(?:step\s*\d+\s*[:.)]\s*|\d+[.)]\s+|[-*•]\s+)/i;

/**
 * Checks each step line `a op b = c (left: x y z)` of a Game-of-24 trace against the state it
 * starts from (first the four numbers), and stops at the first bad step:
 *
 * 1. the numbers it uses are among those left (a multiset: `6 / 6` needs two sixes);
 * 2. its arithmetic is right, exactly (see {@link standsFor} for rounded decimals; a result also
 *    counts as right when it follows from the numbers as written, e.g. `3.333 * 3 = 9.999`);
 * 3. its `left:` list is the state minus the numbers used plus the result, as a multiset;
 * 4. the numbers left can still make 24 ({@link canMake24}) — skipped when the four numbers cannot.
 *
 * Only lines with `(left: ...)` are steps: other lines (`Steps:`, the `Answer:`, commentary such
 * as `24 / 5 = 4.8 (not valid, try another combination)`) are not. A step may use a longer
 * expression (`7 * (11 - 8) = 21`), a chain (`12 * 7 = 84 / 3.5 = 24`) or fractions written
 * without spaces (`4/3 * 8 = 32/3`). A step that cannot be read ends the check without a verdict,
 * since judging the steps after it would start from a state we could not follow.
 */
export function checkGame24Steps(trace: string, numbers: readonly number[], options: Game24StepOptions = {}): Game24StepCheck {
  const lines = trace.split("\n");
  if (options.partial) lines.pop();
  let state = numbers.map((n) => exactly(integer(n)));
  const checkReachable = canMake24(state.map((v) => v.exact));
  const stepScores: number[] = [];
  for (const raw of lines) {
    const match = STEP_LINE.exec(raw);
    if (!match) continue;
    const step = stepScores.length + 1;
    const line = raw.trim();
    const name = `step ${step} "${line}"`;
    const outcome = applyStep(match[1]!.trim().replace(LIST_MARKER, ""), match[2]!, state);
    if (outcome.kind === "unread") {
      return {
        steps: stepScores.length,
        stepScores,
        firstError: null,
        unread: `${name} not understood (${outcome.why}); later steps not checked`,
        left: exactValues(state),
      };
    }
    if (outcome.kind === "bad")
      return { steps: step, stepScores: [...stepScores, 0], firstError: `${name}: ${outcome.why}`, unread: null, left: exactValues(state) };
    if (checkReachable && !canMake24(outcome.next.map((v) => v.exact))) {
      return {
        steps: step,
        stepScores: [...stepScores, 0],
        firstError: `${name}: ${show(outcome.next)} cannot make 24`,
        unread: null,
        left: exactValues(outcome.next),
      };
    }
    state = outcome.next;
    stepScores.push(1);
  }
  return { steps: stepScores.length, stepScores, firstError: null, unread: null, left: exactValues(state) };
}

type StepOutcome = { kind: "good"; next: Item[] } | { kind: "bad"; why: string } | { kind: "unread"; why: string };

function applyStep(equation: string, leftText: string, state: Item[]): StepOutcome {
  const listed = leftText
    .split(/[\s,]+/)
    .filter((t) => t !== "")
    .map(readLiteral);
  if (listed.some((l) => l === null)) return { kind: "unread", why: `left: "${leftText.trim()}" is not a list of numbers` };
  const segments = equation.split("=").map((s) => s.trim());
  if (segments.some((s) => s === "")) return { kind: "unread", why: "an empty side of an equation" };
  const nodes = segments.map(parseExpression);
  const unreadable = nodes.findIndex((n) => n === null);
  if (unreadable >= 0) return { kind: "unread", why: `"${segments[unreadable]}" is not an arithmetic expression` };

  const pool = [...state];
  const options: EvaluateOptions = { approximate: true, fractions: true };
  const apply = (node: Node, text: string): Evaluation | StepOutcome => {
    const value = evaluate(node, pool, options);
    if (typeof value !== "string") return value;
    if (value === "divides by zero") return { kind: "bad", why: `${text} divides by zero` };
    return { kind: "bad", why: `${value.slice("uses ".length)} is not among the numbers left (${show(state)})` };
  };
  if (segments.length === 1) {
    // `23 + 1 (left: 24)`: no result claimed, so only what is left can be wrong.
    const value = apply(nodes[0]!, segments[0]!);
    if ("kind" in value) return value;
    pool.push(value);
  }
  // A chain `e0 = e1 = ... = c`: each expression's result is the number the next one starts with.
  for (let i = 0; i + 1 < segments.length; i++) {
    const claimed = leadingLiteral(nodes[i + 1]!);
    if (claimed === null) return { kind: "unread", why: `"${segments[i + 1]}" does not start with a number` };
    const node = nodes[i]!;
    if (i > 0 && node.kind === "number") {
      // `... = 84 = 84`: a restatement, not a step.
      if (!standsFor(claimed, node.literal.value)) return { kind: "bad", why: `${segments[i]} = ${claimed.text} is wrong` };
      continue;
    }
    const value = apply(node, segments[i]!);
    if ("kind" in value) return value;
    if (!standsFor(claimed, value.exact) && !standsFor(claimed, value.written)) {
      return { kind: "bad", why: `${segments[i]} = ${claimed.text} is wrong (${segments[i]} = ${formatRational(value.exact)})` };
    }
    pool.push({ exact: value.exact, written: claimed.value });
  }
  if (!sameMultiset(listed as Literal[], pool)) return { kind: "bad", why: `left: ${leftText.trim()} should be ${show(pool)}` };
  return { kind: "good", next: pool };
}

/** The first number of an expression as written (`84` in `84 / 3.5`). */
function leadingLiteral(node: Node): Literal | null {
  switch (node.kind) {
    case "number":
    case "fraction":
      return node.literal;
    case "binary":
      return leadingLiteral(node.left);
  }
}

/** Whether the written numbers are the items, as multisets (exact matches first, then rounded ones). */
function sameMultiset(listed: Literal[], values: readonly Item[]): boolean {
  if (listed.length !== values.length) return false;
  const pool = [...values];
  const rest = listed.filter((l) => take(pool, l, false) === null);
  return rest.every((l) => take(pool, l, true) !== null);
}

function exactValues(items: readonly Item[]): Rational[] {
  return items.map((v) => v.exact);
}

function show(items: readonly Item[]): string {
  return exactValues(items).sort(compareRational).map(formatRational).join(" ");
}
