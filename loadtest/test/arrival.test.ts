import { describe, expect, it } from "vitest";
import { arrivalSchedule, inverseIntensity, parseScenario, weightedPicker, type LoadShape, type ScenarioInput } from "../src/mod.js";

const load = (l: NonNullable<ScenarioInput["load"]>): LoadShape => parseScenario({ load: l }).load;
const perSecond = (times: readonly number[], seconds: number) => {
  const counts = new Array<number>(seconds).fill(0);
  for (const t of times) counts[Math.floor(t)]!++;
  return counts;
};

describe("constant arrivals", () => {
  it("send exactly rate × duration queries, evenly, the first at once", () => {
    const { times, windowSeconds } = arrivalSchedule(load({ arrival: "constant", rate: 5, durationSeconds: 10 }));
    expect(times).toHaveLength(50);
    expect(times[0]).toBe(0);
    expect(perSecond(times, 10)).toEqual(new Array(10).fill(5));
    expect(windowSeconds).toBe(10);
  });

  it("stop at the query count; the window ends where the next query would have been sent", () => {
    const { times, windowSeconds } = arrivalSchedule(load({ arrival: "constant", rate: 4, queries: 20 }));
    expect(times).toHaveLength(20);
    expect(times.at(-1)).toBeCloseTo(4.75, 9);
    expect(windowSeconds).toBeCloseTo(5, 9); // 20 queries offered at 4/s
  });

  it("follow a ramp, a hold and a spike: the count of each second is the rate's integral over it, within one", () => {
    const stages = [
      { kind: "ramp", from: 0, to: 10, seconds: 10 },
      { kind: "hold", rate: 10, seconds: 5 },
      { kind: "spike", rate: 40, seconds: 2 },
      { kind: "hold", rate: 2, seconds: 3 },
    ] as const;
    const { times, windowSeconds } = arrivalSchedule(load({ arrival: "constant", stages: [...stages] }));
    // ∫ r = 50 (ramp) + 50 (hold) + 80 (spike) + 6 (hold)
    expect(times).toHaveLength(186);
    expect(windowSeconds).toBe(20);
    const counts = perSecond(times, 20);
    expect(counts.slice(10, 15)).toEqual([10, 10, 10, 10, 10]);
    expect(counts.slice(15, 17)).toEqual([40, 40]);
    expect(counts.slice(17)).toEqual([2, 2, 2]);
    // The ramp's second s carries ∫ₛˢ⁺¹ t dt = s + 1/2 expected arrivals.
    counts.slice(0, 10).forEach((n, s) => expect(Math.abs(n - (s + 0.5))).toBeLessThanOrEqual(1));
  });

  it("send nothing while the rate is zero", () => {
    const { times } = arrivalSchedule(
      load({
        arrival: "constant",
        stages: [
          { kind: "hold", rate: 0, seconds: 3 },
          { kind: "hold", rate: 2, seconds: 2 },
        ],
      }),
    );
    expect(times).toEqual([3, 3.5, 4, 4.5]);
  });
});

describe("poisson arrivals", () => {
  it("are seeded: the same seed gives the same times, another seed others", () => {
    const a = arrivalSchedule(load({ arrival: "poisson", rate: 20, durationSeconds: 5, seed: 3 })).times;
    const b = arrivalSchedule(load({ arrival: "poisson", rate: 20, durationSeconds: 5, seed: 3 })).times;
    const c = arrivalSchedule(load({ arrival: "poisson", rate: 20, durationSeconds: 5, seed: 4 })).times;
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("average the rate: 20/s over 200 s is 4000 ± 4σ, and the gaps have the exponential's mean and spread", () => {
    const { times } = arrivalSchedule(load({ arrival: "poisson", rate: 20, durationSeconds: 200, seed: 1 }));
    expect(Math.abs(times.length - 4000)).toBeLessThan(4 * Math.sqrt(4000));
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeCloseTo(0.05, 2);
    expect(sd / mean).toBeGreaterThan(0.9); // a Poisson process's gaps: coefficient of variation 1 (constant: 0)
    expect(sd / mean).toBeLessThan(1.1);
  });

  it("follow the stages: a spike's seconds carry its rate", () => {
    const { times } = arrivalSchedule(
      load({
        arrival: "poisson",
        seed: 9,
        stages: [
          { kind: "hold", rate: 5, seconds: 100 },
          { kind: "spike", rate: 50, seconds: 20 },
        ],
      }),
    );
    const hold = times.filter((t) => t < 100).length;
    const spike = times.filter((t) => t >= 100).length;
    expect(Math.abs(hold - 500)).toBeLessThan(4 * Math.sqrt(500));
    expect(Math.abs(spike - 1000)).toBeLessThan(4 * Math.sqrt(1000));
  });
});

describe("the intensity inverse", () => {
  it("is the time at which the expected count reaches y, and undefined past the last stage", () => {
    const inverse = inverseIntensity([{ kind: "ramp", from: 2, to: 6, seconds: 4 }]); // Λ(t) = 2t + t²/2, Λ(4) = 16
    expect(inverse(0)).toBe(0);
    expect(inverse(2.5)).toBeCloseTo(1, 12);
    expect(inverse(10)).toBeCloseTo(-2 + Math.sqrt(24), 12);
    expect(inverse(16)).toBeUndefined();
  });
});

describe("the mix", () => {
  it("picks templates in proportion to their weights, seeded", () => {
    const pick = weightedPicker([6, 3, 1], 11);
    const counts = [0, 0, 0];
    for (let i = 0; i < 10_000; i++) counts[pick()]!++;
    expect(counts[0]! / 10_000).toBeCloseTo(0.6, 1);
    expect(counts[1]! / 10_000).toBeCloseTo(0.3, 1);
    expect(counts[2]! / 10_000).toBeCloseTo(0.1, 1);
    const [a, b] = [weightedPicker([6, 3, 1], 11), weightedPicker([6, 3, 1], 11)];
    expect(Array.from({ length: 50 }, a)).toEqual(Array.from({ length: 50 }, b));
  });
});
