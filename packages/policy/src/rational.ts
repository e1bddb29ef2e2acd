/**
 * Exact rational arithmetic on bigints, so that checking `0.1 + 0.2 = 0.3` never depends on
 * floating-point rounding and large integers never lose digits. The one rational type of the
 * reasoning core: equations in traces, Game-of-24 expressions and steps, and `math` fraction keys.
 */

/** `num / den` in lowest terms with `den > 0`. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/** Parses an optionally negative integer or decimal such as `-12.50` or `.5` into its exact value. */
export function parseDecimal(text: string): Rational {
  const match = /^(-?)(\d*)(?:\.(\d+))?$/.exec(text);
  if (!match || (match[2] === "" && match[3] === undefined)) throw new Error(`not a decimal number: ${JSON.stringify(text)}`);
  const [, sign, whole, fraction = ""] = match;
  const magnitude = BigInt(whole! + fraction);
  return rational(sign === "-" ? -magnitude : magnitude, 10n ** BigInt(fraction.length));
}

/**
 * Parses an integer, a decimal or a fraction of them written without spaces (`-7`, `1.5`, `.5`,
 * `5/3`), as GPT-4 writes Game-of-24 steps; null for anything else or a zero denominator.
 */
export function parseNumber(text: string): Rational | null {
  const match = /^(-?(?:\d+(?:\.\d+)?|\.\d+))(?:\/(\d+(?:\.\d+)?|\.\d+))?$/.exec(text);
  if (!match) return null;
  const value = parseDecimal(match[1]!);
  return match[2] === undefined ? value : combine(value, "/", parseDecimal(match[2]));
}

/** The integer `n` as a rational. */
export function integer(n: number | bigint): Rational {
  return { num: BigInt(n), den: 1n };
}

/** `num / den` in lowest terms; null when `den` is 0. */
export function fraction(num: bigint, den: bigint): Rational | null {
  return den === 0n ? null : rational(num, den);
}

/** Negative, zero or positive as `a` is less than, equal to or greater than `b`. */
export function compareRational(a: Rational, b: Rational): number {
  const d = a.num * b.den - b.num * a.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** `|a - b|`. */
export function distance(a: Rational, b: Rational): Rational {
  const d = combine(a, "-", b)!;
  return d.num < 0n ? { num: -d.num, den: d.den } : d;
}

/** `a op b` for `op` one of + - * /; null when dividing by zero. */
export function combine(a: Rational, op: "+" | "-" | "*" | "/", b: Rational): Rational | null {
  switch (op) {
    case "+":
      return rational(a.num * b.den + b.num * a.den, a.den * b.den);
    case "-":
      return rational(a.num * b.den - b.num * a.den, a.den * b.den);
    case "*":
      return rational(a.num * b.num, a.den * b.den);
    case "/":
      return b.num === 0n ? null : rational(a.num * b.den, a.den * b.num);
  }
}

/** Exact equality (both sides are in lowest terms). */
export function sameRational(a: Rational, b: Rational): boolean {
  return a.num === b.num && a.den === b.den;
}

/** As `num/den`, or the integer when `den` is 1 (`36/5`, `-3`). */
export function formatFraction(r: Rational): string {
  return r.den === 1n ? r.num.toString() : `${r.num}/${r.den}`;
}

/** As a decimal when it terminates (`0.25`, `-3`), else as a fraction (`1/3`). */
export function formatRational(r: Rational): string {
  if (r.den === 1n) return r.num.toString();
  let rest = r.den;
  let twos = 0;
  let fives = 0;
  while (rest % 2n === 0n) [rest, twos] = [rest / 2n, twos + 1];
  while (rest % 5n === 0n) [rest, fives] = [rest / 5n, fives + 1];
  if (rest !== 1n) return formatFraction(r);
  // den = 2^twos * 5^fives divides 10^places, so the scaled numerator is a whole number.
  const places = Math.max(twos, fives);
  const digits = ((abs(r.num) * 10n ** BigInt(places)) / r.den).toString().padStart(places + 1, "0");
  return `${r.num < 0n ? "-" : ""}${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

function rational(num: bigint, den: bigint): Rational {
  const sign = den < 0n ? -1n : 1n;
  const divisor = gcd(abs(num), abs(den));
  return { num: (sign * num) / divisor, den: (sign * den) / divisor };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

/**
 * Whether `shown`, written with `places` decimal places, is `value` rounded or truncated to those
 * places (1.666 and 1.667 for 5/3). Traces write rounded decimals; the arithmetic behind them is right.
 */
export function roundsToShown(value: Rational, shown: Rational, places: number): boolean {
  if (places <= 0) return false;
  const scale = 10n ** BigInt(places);
  // shown = written / scale exactly, since it has `places` digits.
  const written = (shown.num * scale) / shown.den;
  const negative = value.num < 0n;
  const magnitude = (negative ? -value.num : value.num) * scale;
  const truncated = magnitude / value.den;
  const rounded = 2n * (magnitude % value.den) >= value.den ? truncated + 1n : truncated;
  const sign = negative ? -1n : 1n;
  return written === sign * truncated || written === sign * rounded;
}
