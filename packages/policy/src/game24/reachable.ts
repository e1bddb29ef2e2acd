/** Whether a multiset of numbers can still make 24: the Game-of-24 search, exhaustive and memoised. */
import { combine, sameRational, type Rational } from "../rational.js";
import { TARGET } from "./expression.js";

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
