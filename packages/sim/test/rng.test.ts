import { describe, expect, it } from "vitest";
import { mulberry32 } from "@ttc/stats";
import { hashString } from "../src/mod.js";
import { gaussian, zipfIndex } from "../src/rng.js";

describe("hashString", () => {
  it("is a stable unsigned 32-bit hash", () => {
    expect(hashString("ttc")).toBe(hashString("ttc"));
    expect(Number.isInteger(hashString("ttc"))).toBe(true);
    expect(hashString("ttc")).toBeGreaterThanOrEqual(0);
    expect(hashString("ttc")).toBeLessThan(2 ** 32);
  });

  it("hashes exactly as before it was built on @ttc/stats (pinned from the old code)", () => {
    expect(["", "a", "ttc", "prompt\u00000", "How many marbles are left in sim puzzle 42?\u000042", "é∑"].map(hashString)).toEqual([
      2872998923, 444641715, 259317325, 3247421400, 1052858352, 2968190873,
    ]);
  });

  it("spreads strings that differ in one character", () => {
    const hashes = new Set(Array.from({ length: 1000 }, (_, i) => hashString(`prompt\u0000${i}`) >>> 24));
    expect(hashes.size).toBeGreaterThan(200); // top bytes vary, not just the low bits
  });
});

describe("distributions over a seeded generator", () => {
  it("draws standard normals", () => {
    const rng = mulberry32(1);
    const xs = Array.from({ length: 20_000 }, () => gaussian(rng));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it("picks Zipf indices, the first most often", () => {
    const rng = mulberry32(2);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 12_000; i++) counts[zipfIndex(rng, 4)]!++;
    // Weights 1, 1/2, 1/3, 1/4 over a total of 25/12.
    expect(Math.abs(counts[0]! / 12_000 - 12 / 25)).toBeLessThan(0.02);
    expect(counts[0]!).toBeGreaterThan(counts[1]!);
    expect(counts[1]!).toBeGreaterThan(counts[3]!);
  });
});
