/**
 * Game-of-24 steps: checking the `a op b = c (left: x y z)` steps of a (partial) trace against the
 * numbers left, in exact rational arithmetic.
 *
 * The step format is the one of the Tree-of-Thoughts prompts (Yao et al. 2023) that GPT-4 follows:
 *
 *     Steps:
 *     10 - 4 = 6 (left: 5 6 6)
 *     6 * 5 = 30 (left: 6 30)
 *     30 - 6 = 24 (left: 24)
 *     Answer: (10 - 4) * 5 - 6 = 24
 */
import { compareRational, distance, formatRational, integer, roundsToShown, sameRational, type Rational } from "../rational.js";
import { evaluate, parseExpression, readLiteral, type Literal, type Node, type Value } from "./expression.js";
import { canMake24 } from "./reachable.js";

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

const exactly = (value: Rational): Value => ({ exact: value, written: value });

/**
 * Removes the number `literal` stands for from `pool`: an exact match first, else (when
 * `approximate`) the closest number it rounds, or whose rounding as written it repeats.
 */
function take(pool: Value[], literal: Literal, approximate: boolean): Value | null {
  let index = pool.findIndex((v) => sameRational(v.exact, literal.value));
  if (index < 0 && approximate) {
    const gap = (v: Value): Rational => distance(literal.value, v.exact);
    for (const [i, v] of pool.entries()) {
      if (!standsFor(literal, v.exact) && !standsFor(literal, v.written)) continue;
      if (index < 0 || compareRational(gap(v), gap(pool[index]!)) < 0) index = i;
    }
  }
  return index < 0 ? null : pool.splice(index, 1)[0]!;
}

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

/**
 * Where a step check stands after some lines of a trace, so that it can go on line by line as a
 * trace arrives ({@link checkGame24Line}); {@link game24StepCheck} says what it found.
 */
export interface Game24StepProgress {
  /** The numbers left (for a step that leaves 24 out of reach: left after it). */
  left: Value[];
  stepScores: number[];
  firstError: string | null;
  unread: string | null;
  /** Whether a step must keep 24 reachable: only when the four numbers can make it. */
  checkReachable: boolean;
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
 * expression (`7 * (11 - 8) = 21`), a chain (`12 * 7 = 84 / 3.5 = 24`), fractions written without
 * spaces (`4/3 * 8 = 32/3`), negative numbers (`5 * -6`) and every operator spelling a final answer
 * may use (`6 \times 5`, `6 · 5`, `{10 - 4} \div 2`). A step that cannot be read ends the check
 * without a verdict, since judging the steps after it would start from a state we could not follow.
 */
export function checkGame24Steps(trace: string, numbers: readonly number[], options: Game24StepOptions = {}): Game24StepCheck {
  const lines = trace.split("\n");
  if (options.partial) lines.pop();
  let progress = startGame24Steps(numbers);
  for (const line of lines) progress = checkGame24Line(progress, line);
  return game24StepCheck(progress);
}

/** A step check before any line. */
export function startGame24Steps(numbers: readonly number[]): Game24StepProgress {
  const left = numbers.map((n) => exactly(integer(n)));
  return { left, stepScores: [], firstError: null, unread: null, checkReachable: canMake24(left.map((v) => v.exact)) };
}

/** Whether the check has ended (at a bad or unreadable step): later lines change nothing. */
function game24StepsEnded(progress: Game24StepProgress): boolean {
  return progress.firstError !== null || progress.unread !== null;
}

/** `progress` after one more line of the trace (without its newline); see {@link checkGame24Steps}. */
export function checkGame24Line(progress: Game24StepProgress, raw: string): Game24StepProgress {
  if (game24StepsEnded(progress)) return progress;
  const match = STEP_LINE.exec(raw);
  if (!match) return progress;
  const stepScores = progress.stepScores;
  const name = `step ${stepScores.length + 1} "${raw.trim()}"`;
  const outcome = applyStep(match[1]!.trim().replace(LIST_MARKER, ""), match[2]!, progress.left);
  if (outcome.kind === "unread") return { ...progress, unread: `${name} not understood (${outcome.why}); later steps not checked` };
  if (outcome.kind === "bad") return { ...progress, stepScores: [...stepScores, 0], firstError: `${name}: ${outcome.why}` };
  if (progress.checkReachable && !canMake24(outcome.next.map((v) => v.exact))) {
    return { ...progress, left: outcome.next, stepScores: [...stepScores, 0], firstError: `${name}: ${show(outcome.next)} cannot make 24` };
  }
  return { ...progress, left: outcome.next, stepScores: [...stepScores, 1] };
}

/** What a step check found. */
export function game24StepCheck(progress: Game24StepProgress): Game24StepCheck {
  const { stepScores, firstError, unread } = progress;
  return { steps: stepScores.length, stepScores, firstError, unread, left: exactValues(progress.left) };
}

type StepOutcome = { kind: "good"; next: Value[] } | { kind: "bad"; why: string } | { kind: "unread"; why: string };

function applyStep(equation: string, leftText: string, state: Value[]): StepOutcome {
  const listed = leftText
    .split(/[\s,]+/)
    .filter((t) => t !== "")
    .map(readLiteral);
  if (listed.some((l) => l === null)) return { kind: "unread", why: `left: "${leftText.trim()}" is not a list of numbers` };
  const segments = equation.split("=").map((s) => s.trim());
  if (segments.some((s) => s === "")) return { kind: "unread", why: "an empty side of an equation" };
  const nodes: Node[] = [];
  for (const segment of segments) {
    const node = parseExpression(segment, { steps: true });
    if (typeof node === "string") return { kind: "unread", why: `"${segment}" is not an arithmetic expression` };
    nodes.push(node);
  }

  const pool = [...state];
  // A number of the step stands for the number left it matches, exactly or as rounded.
  const leaf = (literal: Literal): Value | null => {
    const item = take(pool, literal, true);
    return item === null ? null : { exact: item.exact, written: literal.value };
  };
  const apply = (node: Node, text: string): Value | StepOutcome => {
    const value = evaluate(node, leaf);
    if (!("failure" in value)) return value;
    if (value.failure === "divides by zero") return { kind: "bad", why: `${text} divides by zero` };
    return { kind: "bad", why: `${value.literal.text} is not among the numbers left (${show(state)})` };
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
function leadingLiteral(node: Node): Literal {
  return node.kind === "binary" ? leadingLiteral(node.left) : node.literal;
}

/** Whether the written numbers are the items, as multisets (exact matches first, then rounded ones). */
function sameMultiset(listed: Literal[], values: readonly Value[]): boolean {
  if (listed.length !== values.length) return false;
  const pool = [...values];
  const rest = listed.filter((l) => take(pool, l, false) === null);
  return rest.every((l) => take(pool, l, true) !== null);
}

function exactValues(items: readonly Value[]): Rational[] {
  return items.map((v) => v.exact);
}

function show(items: readonly Value[]): string {
  return exactValues(items).sort(compareRational).map(formatRational).join(" ");
}
