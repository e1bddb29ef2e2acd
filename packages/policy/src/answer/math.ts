/**
 * `math` answers: LaTeX clean-up into a grouping key, and symbolic equivalence of two keys.
 *
 * Equivalence uses the Cortex Compute Engine (`@cortex-js/compute-engine`, pinned at 0.140.0) to
 * parse LaTeX and evaluate it. That release declares `node >= 22.3`, but this code only uses its
 * LaTeX parser, canonical forms, substitution and `N()`, which run on Node 20 (the tests exercise
 * them on this machine's Node 20); it was chosen over mathjs because it reads LaTeX itself
 * (`\frac12`, `\sqrt[3]{8}`, `12\frac{3}{5}` as a mixed number, `0.\overline{3}`, `10{,}000`) instead
 * of needing a hand-written LaTeX-to-mathjs translation.
 *
 * Two keys are equivalent when, after splitting tuples, intervals, sets and unions element by
 * element, every pair of scalars evaluates to the same number (relative tolerance 1e-9, real and
 * imaginary parts), or both are expressions in the same unknowns that agree at several points, or
 * their canonical forms are the same. Anything the engine cannot read compares as a string.
 */
import { ComputeEngine, isNumber, type Expression } from "@cortex-js/compute-engine";
import { matchingBrace } from "../braces.js";
import { formatFraction, fraction } from "../rational.js";

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

/** Commands whose braced argument is kept as plain content: `\text{cm}` → `cm`. */
const WRAPPERS = /\\(?:text|textbf|textit|textrm|textnormal|textup|mbox|mathrm|mathit|mathbf|mathsf|boldsymbol|operatorname)\s*\{/g;

/** Replaces every wrapper command by its content, respecting nested braces. */
function unwrapCommands(latex: string): string {
  let out = "";
  let i = 0;
  for (const match of latex.matchAll(WRAPPERS)) {
    if (match.index < i) continue; // inside a wrapper already unwrapped: its content is kept as is
    const open = match.index + match[0].length - 1;
    const close = matchingBrace(latex, open);
    if (close < 0) break;
    out += latex.slice(i, match.index) + unwrapCommands(latex.slice(open + 1, close));
    i = close + 1;
  }
  return out + latex.slice(i);
}

// Units and words that trail a quantity ("5 cm", "90 degrees", "18 dollars", "12 square units").
const UNIT =
  "(?:(?:square|sq\\.?|cubic)\\s*)?(?:units?|cm|mm|km|meters?|metres?|inches|inch|feet|foot|ft|yards?|miles?|mph|degrees?|dollars?|cents?|hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|liters?|litres?|ml|grams?|kg|pounds?|lbs?|ounces?|oz|percent)(?:\\^\\{?[23]\\}?|[²³])?";
const TRAILING_UNIT = new RegExp(`(?<=[\\d})\\s])\\s*${UNIT}\\s*$`, "i");

/** "x = 5" → "5": a single variable (or Greek letter) on the left of the only "=". */
const VARIABLE_PREFIX = /^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?=(?=[^=]+$)/;

const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const THOUSANDS = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;

function canonicalNumber(text: string): string | null {
  if (!PLAIN_NUMBER.test(text)) return null;
  const value = Number(text);
  if (!Number.isFinite(value)) return null;
  return value === 0 ? "0" : String(value);
}

/** "a/b" in lowest terms with the sign on the numerator, or the integer when b divides a; null for b = 0. */
function reducedFraction(negated: boolean, numerator: string, denominator: string): string | null {
  const value = fraction((negated ? -1n : 1n) * BigInt(numerator), BigInt(denominator));
  return value && formatFraction(value);
}

const LATEX_FRACTION = /^(-?)\\frac\{([+-]?\d+)\}\{([+-]?\d+)\}$/;
const PLAIN_FRACTION = /^(-?)(\d+)\/([+-]?\d+)$/;

/**
 * The grouping key of a `math` answer: LaTeX noise removed (`\!`, `\,`, `\;`, `$`, `\$`, `\text{}`
 * and similar wrappers, `^\circ`, `\%`, trailing units such as "cm", "degrees", "dollars", `\left`,
 * `\right`, `\displaystyle`, a trailing ".", an "x =" prefix; `\dfrac`/`\tfrac` → `\frac`),
 * whitespace removed, plain numbers canonical ("1,000.0" → "1000") and integer fractions reduced
 * ("\frac{2}{4}" → "1/2"). Null when nothing is left.
 */
export function normaliseMath(answer: string): string | null {
  let s = unwrapCommands(answer)
    // Thousands separators inside LaTeX numbers: "10{,}000", "10\,000", "10,\!000", "10\!,\!000".
    .replace(/(\d)(?:\{,\}|\\,|\\!,\\!|,\\!|\\!,)\s*(?=\d{3}(?!\d))/g, "$1")
    .replace(/\\[dt]frac(?![a-zA-Z])/g, "\\frac")
    // Lookaheads keep `\leftarrow` and `\rightarrow` intact.
    .replace(/\\displaystyle|\\(?:left|right|[bB]igg?[lr]?)(?![a-zA-Z])/g, "")
    .replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])|°/g, "")
    .replace(/\\?%/g, "")
    .replace(/\\\$|\$/g, "")
    // Spacing commands; the lookbehind leaves the row break `\\` of a matrix alone.
    .replace(/(?<!\\)\\[!,;:> ]|\\q?quad(?![a-zA-Z])|~/g, " ");
  for (let previous = ""; previous !== s;) {
    previous = s;
    s = s.replace(TRAILING_UNIT, "").replace(/[\s.]+$/, "");
  }
  const trimmed = s.trim();
  if (THOUSANDS.test(trimmed)) return canonicalNumber(trimmed.replaceAll(",", ""));
  s = trimmed.replace(/\s+/g, "").replace(/^\{([^{}]*)\}$/, "$1");
  s = s.replace(VARIABLE_PREFIX, "");
  if (/^(?:infinity|inf|\+\\infty)$/i.test(s)) s = "\\infty";
  if (s === "") return null;
  const number = canonicalNumber(s);
  if (number !== null) return number;
  const written = LATEX_FRACTION.exec(s) ?? PLAIN_FRACTION.exec(s);
  if (written) {
    const [, sign, numerator, denominator] = written;
    return reducedFraction(sign === "-", numerator!, denominator!) ?? s;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Structure: tuples, intervals, sets, unions
// ---------------------------------------------------------------------------------------------

type Shape =
  | { kind: "scalar"; text: string }
  /** Tuples and intervals: ordered, and their brackets must match ("[0,1)" ≠ "(0,1)"). */
  | { kind: "sequence"; open: string; close: string; items: string[] }
  /** `\{1,2\}`, a bare "1,-2" list of solutions, or a union of intervals: order does not matter. */
  | { kind: "unordered"; items: string[] };

const OPENERS = new Set(["(", "[", "{"]);
const CLOSERS = new Set([")", "]", "}"]);

/** Splits at `separator` where no bracket of any kind is open. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && text[i + 1] !== undefined && (OPENERS.has(text[i + 1]!) || CLOSERS.has(text[i + 1]!))) {
      depth += OPENERS.has(text[i + 1]!) ? 1 : -1;
      i++;
    } else if (OPENERS.has(c)) depth++;
    else if (CLOSERS.has(c)) depth--;
    else if (depth === 0 && text.startsWith(separator, i)) {
      // A command separator must not be the prefix of a longer command (`\cup` vs `\cupdot`).
      if (separator.startsWith("\\") && /[a-zA-Z]/.test(text[i + separator.length] ?? "")) continue;
      parts.push(text.slice(start, i));
      start = i + separator.length;
      i = start - 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Whether the bracket opening at 0 closes only at the last character. */
function enclosed(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (OPENERS.has(text[i]!)) depth++;
    else if (CLOSERS.has(text[i]!)) depth--;
    if (depth === 0 && i < text.length - 1) return false;
  }
  return depth === 0;
}

function shape(text: string): Shape {
  if (text.startsWith("\\{") && text.endsWith("\\}") && enclosed(text.slice(1))) {
    const inner = text.slice(2, -2);
    return { kind: "unordered", items: inner === "" ? [] : splitTopLevel(inner, ",") };
  }
  const union = splitTopLevel(text, "\\cup");
  if (union.length > 1) return { kind: "unordered", items: union };
  if (/^[([]/.test(text) && /[)\]]$/.test(text) && enclosed(text)) {
    const items = splitTopLevel(text.slice(1, -1), ",");
    if (items.length > 1) return { kind: "sequence", open: text[0]!, close: text.at(-1)!, items };
  }
  const items = splitTopLevel(text, ",");
  if (items.length > 1) return { kind: "unordered", items };
  return { kind: "scalar", text };
}

// ---------------------------------------------------------------------------------------------
// Scalars through the Compute Engine
// ---------------------------------------------------------------------------------------------

let engine: ComputeEngine | undefined;
function ce(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

/** LaTeX commands the engine is trusted with; anything else (sums, integrals, matrices, `\pm`) compares as text. */
const SAFE_COMMANDS = new Set(
  (
    "frac sqrt pi cdot times div sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh ln log exp infty " +
    "overline alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho " +
    "sigma tau phi varphi chi psi omega"
  ).split(" "),
);

/** Whether the engine may evaluate the text: short, known commands only, no huge factorials. */
function safeForEngine(text: string): boolean {
  if (text.length > 200 || text.includes("\\\\")) return false;
  for (const [, command] of text.matchAll(/\\([a-zA-Z]+)/g)) if (!SAFE_COMMANDS.has(command!)) return false;
  // `\{`, `\}` or other escaped symbols belong to structure the caller has already split.
  if (/\\[^a-zA-Z]/.test(text)) return false;
  for (const [, digits] of text.matchAll(/(\d+)\s*!/g)) if (Number(digits) > 1000) return false;
  // Exact arithmetic on a power tower (`9^{9^{9}}+1`) or a huge exponent can run for seconds.
  for (const [, exponent] of text.matchAll(/\^\s*(\{(?:[^{}]|\{[^{}]*\})*\}|\S)/g)) {
    if (exponent!.includes("^") || /\d{6,}/.test(exponent!)) return false;
  }
  if (text.split("^").length > 4) return false;
  // `4210_{5}` is a numeral in base 5: its digits, not its value, are the answer.
  if (/_\{?\d/.test(text)) return false;
  return true;
}

/** Words ("Evelyn", "north") are not products of variables: they compare as case-insensitive text. */
function isWord(text: string): boolean {
  return /(?<!\\[a-zA-Z]*)[a-zA-Z]{3,}/.test(text);
}

type Value =
  | { kind: "number"; re: number; im: number }
  /** An expression in unknowns, such as `4a-2`: compared by canonical form and at sample points. */
  | { kind: "expression"; unknowns: string[] }
  /** Something the engine could not reduce to either (a relation, a malformed input, a matrix). */
  | { kind: "opaque" };

/**
 * The value of a number literal. Infinite values count only for `\infty` itself: `2^{2009}` also
 * overflows a double, and must not equal every other huge number.
 */
function numberOf(expr: Expression, allowInfinity = false): { re: number; im: number } | null {
  if (!isNumber(expr)) return null;
  const { re, im } = expr;
  if (!Number.isFinite(im) || !(Number.isFinite(re) || (allowInfinity && Math.abs(re) === Infinity))) return null;
  return { re, im };
}

const cache = new Map<string, Value>();
const CACHE_LIMIT = 4096;

/** Evaluates `text` inside a throwaway scope so symbols it declares do not leak into later parses. */
function withScope<T>(run: (engine: ComputeEngine) => T): T | null {
  const e = ce();
  e.pushScope();
  try {
    return run(e);
  } catch {
    return null;
  } finally {
    e.popScope();
  }
}

function valueOf(text: string): Value {
  const cached = cache.get(text);
  if (cached) return cached;
  let value: Value = { kind: "opaque" };
  if (safeForEngine(text) && !isWord(text)) {
    value = withScope<Value>((e) => {
      const expr = e.parse(text);
      if (!expr.isValid) return { kind: "opaque" };
      const number = numberOf(expr.N(), text.includes("\\infty"));
      if (number) return { kind: "number", ...number };
      const unknowns = [...expr.unknowns].sort();
      if (unknowns.length > 0 && expr.type.matches("number")) return { kind: "expression", unknowns };
      return { kind: "opaque" };
    }) ?? { kind: "opaque" };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, value);
  return value;
}

// Strict enough that a rounded answer ("3.14159", "0.333") does not merge with the exact one, loose
// enough for a decimal printed to double precision ("9999.857142857143" = 9999 6/7).
const RELATIVE_TOLERANCE = 1e-9;
const ABSOLUTE_TOLERANCE = 1e-12;

function close(x: number, y: number): boolean {
  if (x === y) return true;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  const diff = Math.abs(x - y);
  return diff <= ABSOLUTE_TOLERANCE || diff <= RELATIVE_TOLERANCE * Math.max(Math.abs(x), Math.abs(y));
}

function closeComplex(a: { re: number; im: number }, b: { re: number; im: number }): boolean {
  if (a.im === 0 && b.im === 0) return close(a.re, b.re);
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  const near = (x: number, y: number) => x === y || Math.abs(x - y) <= Math.max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE * scale);
  return near(a.re, b.re) && near(a.im, b.im);
}

/** Values given to unknowns at each sample point: irregular, so coincidences are unlikely. */
const SAMPLES = [0.5377, 1.8339, -2.2588, 0.8622, 0.3188, -1.3077, -0.4336, 0.3426, 3.5784, 2.7694];

/** Whether two expressions in the same unknowns are the same canonically or agree at sample points. */
function expressionsAgree(a: string, b: string, unknowns: string[]): boolean {
  if (unknowns.length > 4) return false;
  return (
    withScope((e) => {
      const x = e.parse(a);
      const y = e.parse(b);
      if (x.isSame(y)) return true;
      let compared = 0;
      for (let point = 0; point < 3; point++) {
        const substitution = Object.fromEntries(unknowns.map((name, j) => [name, e.number(SAMPLES[(point * 3 + j) % SAMPLES.length]!)]));
        const vx = numberOf(x.subs(substitution).N());
        const vy = numberOf(y.subs(substitution).N());
        if (vx === null && vy === null) continue;
        if (vx === null || vy === null || !closeComplex(vx, vy)) return false;
        compared++;
      }
      return compared >= 2;
    }) ?? false
  );
}

function scalarsEquivalent(a: string, b: string): boolean {
  if (a === b) return true;
  if (isWord(a) || isWord(b)) return a.toLowerCase() === b.toLowerCase();
  const va = valueOf(a);
  const vb = valueOf(b);
  if (va.kind === "number" && vb.kind === "number") return closeComplex(va, vb);
  if (va.kind === "expression" && vb.kind === "expression") {
    return va.unknowns.join(",") === vb.unknowns.join(",") && expressionsAgree(a, b, va.unknowns);
  }
  if (va.kind === "opaque" && vb.kind === "opaque" && safeForEngine(a) && safeForEngine(b)) {
    // Relations and numbers beyond a double ("y=2x+1", "2^{2009}"): the same canonical form.
    return withScope((e) => e.parse(a).isSame(e.parse(b))) ?? false;
  }
  return false;
}

/** Matches every item of `a` with a distinct equivalent item of `b`. */
function unorderedEquivalent(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const unused = [...b];
  for (const item of a) {
    const index = unused.findIndex((other) => mathEquivalent(item, other));
    if (index < 0) return false;
    unused.splice(index, 1);
  }
  return true;
}

/** Whether two normalised `math` answers are equal (see the module comment for what that means). */
export function mathEquivalent(a: string, b: string): boolean {
  if (a === b) return true;
  const x = shape(a);
  const y = shape(b);
  if (x.kind === "scalar" && y.kind === "scalar") return scalarsEquivalent(x.text, y.text);
  if (x.kind === "sequence" && y.kind === "sequence") {
    return (
      x.open === y.open &&
      x.close === y.close &&
      x.items.length === y.items.length &&
      x.items.every((item, i) => mathEquivalent(item, y.items[i]!))
    );
  }
  if (x.kind === "unordered" && y.kind === "unordered") return unorderedEquivalent(x.items, y.items);
  return false;
}
