/**
 * One reader of numbers with a range, for the client's own options and for the command-line flags
 * of its callers (`ttc`, the load generator): `NaN`, `Infinity`, empty text and out-of-range values
 * are refused with an error that states the accepted range.
 */

/** The numbers an option accepts; bounds are inclusive unless `minExclusive`. */
export interface NumberRange {
  /** Only whole numbers. @default false */
  integer?: boolean;
  /** Smallest accepted value. @default no bound */
  min?: number;
  /** `min` itself is refused (a speed or a timeout must be > 0). @default false */
  minExclusive?: boolean;
  /** Largest accepted value. @default no bound */
  max?: number;
}

/** The range as an error states it: "an integer ≥ 1", "a number from 0 to 1", "a number > 0", "a number". */
export function describeRange(range: NumberRange): string {
  const kind = range.integer ? "an integer" : "a number";
  const { min, max } = range;
  if (min !== undefined && max !== undefined && !range.minExclusive) return `${kind} from ${min} to ${max}`;
  const bounds = [min === undefined ? "" : `${range.minExclusive ? ">" : "≥"} ${min}`, max === undefined ? "" : `≤ ${max}`];
  return [kind, bounds.filter(Boolean).join(" and ")].filter(Boolean).join(" ");
}

/**
 * Reads `value` (a flag's text or a number) as a number in `range`.
 * @param name the option, for the message; without it (commander names the flag itself) the message
 *   is only the range.
 * @throws RangeError `"<name>: <value> is not <range>"`, or `"expected <range>"` without a name.
 */
export function numberInRange(value: string | number, range: NumberRange, name?: string): number {
  const n = typeof value === "number" ? value : value.trim() === "" ? Number.NaN : Number(value);
  const ok =
    Number.isFinite(n) &&
    (!range.integer || Number.isInteger(n)) &&
    (range.min === undefined || n > range.min || (n === range.min && !range.minExclusive)) &&
    (range.max === undefined || n <= range.max);
  if (ok) return n;
  throw new RangeError(
    name === undefined
      ? `expected ${describeRange(range)}`
      : `${name}: ${typeof value === "string" ? JSON.stringify(value) : value} is not ${describeRange(range)}`,
  );
}
