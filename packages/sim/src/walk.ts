import type { Rng } from "@ttc/stats";
import { intBetween } from "./rng.js";

/** An operator the simulated arithmetic uses. */
export type SimOp = "+" | "-" | "×";

/** One step of the walk: `a op b = stated`. */
export interface SimStep {
  a: number;
  op: SimOp;
  b: number;
  /** The result as written; it differs from the true result only on the slip step. */
  stated: number;
}

/** Offsets a slipped result is off by: off-by-one, off-by-two and a dropped carry. */
const slipOffsets = [1, -1, 2, -2, 10, -10];

/**
 * A random walk of `count` steps (at least 2) that ends exactly on `target`. The walk drifts toward
 * the target so the final step looks like the others rather than one huge jump. When `slipAt` is
 * set, that step states a wrong result and the walk goes on from the wrong value, as a model that
 * slipped would; `slipAt` must not be the last step, whose job is to land on the target.
 */
export function planWalk(rng: Rng, count: number, target: number, slipAt: number | null): SimStep[] {
  const steps: SimStep[] = [];
  let value = intBetween(rng, 5, 60);
  for (let i = 0; i < count - 1; i++) {
    const { op, b } = driftStep(rng, value, target, count - i);
    const result = apply(op, value, b);
    const stated = i === slipAt ? slip(rng, result) : result;
    steps.push({ a: value, op, b, stated });
    value = stated;
  }
  steps.push(finalStep(value, target));
  return steps;
}

function apply(op: SimOp, a: number, b: number): number {
  if (op === "+") return a + b;
  if (op === "-") return a - b;
  return a * b;
}

/** A non-final step: mostly toward the target, sometimes away, values kept positive. */
function driftStep(rng: Rng, value: number, target: number, remaining: number): { op: SimOp; b: number } {
  const gap = target - value;
  if (gap > 0 && value >= 2 && value * 2 <= target && rng() < 0.3) {
    return { op: "×", b: intBetween(rng, 2, Math.min(9, Math.floor(target / value))) };
  }
  // The step before the landing one always closes in, so the landing step is not one giant jump.
  const toward = gap !== 0 && (remaining === 2 || rng() < 0.75);
  const up = toward ? gap > 0 : rng() < 0.5;
  const b = toward ? Math.max(1, Math.round((Math.abs(gap) / remaining) * (0.5 + rng()))) : intBetween(rng, 1, 20);
  return !up && value - b >= 1 ? { op: "-", b } : { op: "+", b };
}

/** A wrong result near the right one, kept positive so the trace stays plausible. */
function slip(rng: Rng, result: number): number {
  const offset = slipOffsets[intBetween(rng, 0, slipOffsets.length - 1)]!;
  return result + offset >= 1 ? result + offset : result + Math.abs(offset);
}

/** The step that lands exactly on the target. */
function finalStep(value: number, target: number): SimStep {
  if (target > value) return { a: value, op: "+", b: target - value, stated: target };
  if (target < value) return { a: value, op: "-", b: value - target, stated: target };
  return { a: value, op: "×", b: 1, stated: target };
}
