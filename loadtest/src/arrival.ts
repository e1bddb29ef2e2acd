/**
 * Open-loop arrival schedules: when each query is sent, in seconds from the start, computed before
 * the run so the offered load does not depend on how fast the service answers. Pure and seeded.
 *
 * The rate profile r(t) is piecewise linear (ramps, holds, spikes) and Λ(t) = ∫r is its cumulative
 * intensity. A constant process sends query k at Λ⁻¹(k); a Poisson process at Λ⁻¹(E₁ + … + E_k) with
 * Eᵢ ~ Exp(1) (time rescaling of a non-homogeneous Poisson process). One inverse serves both.
 */
import { mulberry32 } from "@ttc/stats";
import { runLimits, type LoadShape, type Stage } from "./scenario.js";

/** When the queries of an open-loop run are sent. */
export interface ArrivalSchedule {
  /** Send times in seconds from the start, ascending. */
  times: number[];
  /** How long the arrivals were offered: the end of the stages or duration, or the next arrival's time when the count ran out. */
  windowSeconds: number;
}

/** The stages of an open-loop load: its own, or one hold at `rate` lasting `durationSeconds` (unbounded: the count ends it). */
export function stagesOf(load: LoadShape): Stage[] {
  if (load.stages) return load.stages;
  if (load.rate === undefined) throw new Error("an open-loop load needs a rate or stages");
  return [{ kind: "hold", rate: load.rate, seconds: load.durationSeconds ?? Infinity }];
}

/** The send times of an open-loop (`constant` or `poisson`) load, bounded by its stages, duration and query count. */
export function arrivalSchedule(load: LoadShape): ArrivalSchedule {
  if (load.arrival === "closed") throw new Error("a closed loop has no arrival schedule: its callers send when their last query ends");
  const stages = stagesOf(load);
  const inverse = inverseIntensity(stages);
  const horizon = Math.min(
    stages.reduce((s, st) => s + st.seconds, 0),
    load.durationSeconds ?? Infinity,
  );
  const random = mulberry32(load.seed);
  // -ln(1 - u) with u in [0, 1): an Exp(1) draw that is never infinite.
  const step = load.arrival === "poisson" ? () => -Math.log(1 - random()) : () => 1;
  const limit = Math.min(load.queries ?? Infinity, runLimits.queries);
  const times: number[] = [];
  let y = load.arrival === "poisson" ? step() : 0;
  for (;;) {
    const t = inverse(y);
    if (t === undefined || t >= horizon) return { times, windowSeconds: horizon };
    if (times.length === limit) return { times, windowSeconds: t };
    times.push(t);
    y += step();
  }
}

/** Λ⁻¹ of a piecewise-linear rate: the time at which the expected arrival count reaches y, or undefined past the last stage. */
export function inverseIntensity(stages: readonly Stage[]): (y: number) => number | undefined {
  const segments: Array<{ start: number; rate: number; slope: number; before: number; area: number }> = [];
  let start = 0;
  let before = 0;
  for (const s of stages) {
    const [from, to] = s.kind === "ramp" ? [s.from, s.to] : [s.rate, s.rate];
    const area = s.seconds === Infinity ? (from > 0 ? Infinity : 0) : ((from + to) / 2) * s.seconds;
    segments.push({ start, rate: from, slope: s.seconds === Infinity ? 0 : (to - from) / s.seconds, before, area });
    start += s.seconds;
    before += area;
  }
  return (y) => {
    for (const g of segments) {
      if (y >= g.before + g.area) continue;
      const rest = y - g.before;
      // Solves rate·τ + slope·τ²/2 = rest in the form that stays exact as slope → 0 and at rate = 0.
      const denominator = g.rate + Math.sqrt(g.rate * g.rate + 2 * g.slope * rest);
      return g.start + (denominator === 0 ? 0 : (2 * rest) / denominator);
    }
    return undefined;
  };
}

/** Weighted choice among `weights.length` items, seeded: the mix of request templates. */
export function weightedPicker(weights: readonly number[], seed: number): () => number {
  const random = mulberry32(seed);
  const total = weights.reduce((s, w) => s + w, 0);
  return () => {
    let u = random() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1;
  };
}
