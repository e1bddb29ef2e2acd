import { describe, it, expect } from "vitest";
import { probabilityLeaderIsMajority, regularizedIncompleteBeta } from "../src/beta.js";

/** P(Binomial(n, 0.5) <= k), exactly, with BigInt binomial coefficients. */
function binomialHalfCdf(n: number, k: number): number {
  let sum = 0n;
  let coefficient = 1n;
  for (let i = 0; i <= k; i++) {
    sum += coefficient;
    coefficient = (coefficient * BigInt(n - i)) / BigInt(i + 1);
  }
  return Number(sum) / 2 ** n;
}

describe("regularizedIncompleteBeta", () => {
  it("is 0 and 1 at the ends of [0, 1]", () => {
    expect(regularizedIncompleteBeta(0, 2.5, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2.5, 3)).toBe(1);
  });

  it("matches closed forms I_x(a,1) = x^a and I_x(1,b) = 1 - (1-x)^b", () => {
    for (const x of [0.1, 0.37, 0.5, 0.9]) {
      for (const p of [0.3, 1, 2.7, 12]) {
        expect(regularizedIncompleteBeta(x, p, 1)).toBeCloseTo(x ** p, 12);
        expect(regularizedIncompleteBeta(x, 1, p)).toBeCloseTo(1 - (1 - x) ** p, 12);
      }
    }
  });

  it("matches the arcsine law I_x(1/2, 1/2) = (2/π) asin(√x) for non-integer parameters", () => {
    for (const x of [0.01, 0.2, 0.5, 0.75, 0.99]) {
      expect(regularizedIncompleteBeta(x, 0.5, 0.5)).toBeCloseTo((2 / Math.PI) * Math.asin(Math.sqrt(x)), 12);
    }
  });

  it("satisfies the symmetry I_x(a,b) = 1 - I_{1-x}(b,a)", () => {
    for (const [x, a, b] of [
      [0.3, 0.7, 4.2],
      [0.8, 15.5, 2.25],
      [0.5, 40, 41],
    ] as const) {
      expect(regularizedIncompleteBeta(x, a, b)).toBeCloseTo(1 - regularizedIncompleteBeta(1 - x, b, a), 12);
    }
  });

  it("rejects x outside [0, 1] and non-positive shape parameters", () => {
    expect(() => regularizedIncompleteBeta(-0.1, 1, 1)).toThrow(RangeError);
    expect(() => regularizedIncompleteBeta(1.1, 1, 1)).toThrow(RangeError);
    expect(() => regularizedIncompleteBeta(Number.NaN, 1, 1)).toThrow(RangeError);
    expect(() => regularizedIncompleteBeta(0.5, 0, 1)).toThrow(RangeError);
    expect(() => regularizedIncompleteBeta(0.5, 1, -2)).toThrow(RangeError);
    expect(() => regularizedIncompleteBeta(0.5, Infinity, 1)).toThrow(RangeError);
  });
});

describe("probabilityLeaderIsMajority", () => {
  it("gives the worked examples: 4 vs 0 → 31/32, 3 vs 0 → 15/16", () => {
    expect(probabilityLeaderIsMajority(4, 0)).toBeCloseTo(0.96875, 14);
    expect(probabilityLeaderIsMajority(3, 0)).toBeCloseTo(0.9375, 14);
  });

  it("equals P(Binomial(a+b+1, 0.5) <= a) for integer weights", () => {
    for (let a = 0; a <= 25; a++) {
      for (let b = 0; b <= 25; b++) {
        expect(probabilityLeaderIsMajority(a, b)).toBeCloseTo(binomialHalfCdf(a + b + 1, a), 12);
      }
    }
  });

  it("is one half on a tie, and complementary when the roles swap", () => {
    expect(probabilityLeaderIsMajority(0, 0)).toBeCloseTo(0.5, 14);
    expect(probabilityLeaderIsMajority(7, 7)).toBeCloseTo(0.5, 14);
    expect(probabilityLeaderIsMajority(2.5, 1.25) + probabilityLeaderIsMajority(1.25, 2.5)).toBeCloseTo(1, 12);
  });

  it("stays accurate for large vote counts (normal approximation)", () => {
    // mean 0.50025, sd ≈ 0.5/√2e6: z ≈ 0.7071, Φ(z) ≈ 0.7602
    expect(probabilityLeaderIsMajority(1_000_000, 999_000)).toBeCloseTo(0.7602, 3);
  });

  it("rejects negative or non-finite weights", () => {
    expect(() => probabilityLeaderIsMajority(-1, 0)).toThrow(RangeError);
    expect(() => probabilityLeaderIsMajority(1, Number.NaN)).toThrow(RangeError);
    expect(() => probabilityLeaderIsMajority(Infinity, 0)).toThrow(RangeError);
  });
});
