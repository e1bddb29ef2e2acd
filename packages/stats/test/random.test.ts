import { describe, expect, it } from "vitest";
import { mulberry32, splitmix32 } from "../src/mod.js";

const draws = (rng: () => number, n: number): number[] => Array.from({ length: n }, () => rng());

describe("mulberry32", () => {
  it("draws exactly what the four copies it replaces drew (pinned from the old sim, policy, eval and gguf code)", () => {
    expect(draws(mulberry32(0), 4)).toEqual([0.26642920868471265, 0.0003297457005828619, 0.2232720274478197, 0.1462021479383111]);
    expect(draws(mulberry32(1), 4)).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522, 0.9810509674716741]);
    expect(draws(mulberry32(42), 4)).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693]);
    expect(draws(mulberry32(0xffffffff), 4)).toEqual([0.8964226141106337, 0.189478256739676, 0.7156526781618595, 0.9440599093213677]);
  });

  it("takes the seed modulo 2^32", () => {
    expect(draws(mulberry32(2 ** 32 + 5), 4)).toEqual([0.6897749109193683, 0.7727432732935995, 0.21976301027461886, 0.6231788222212344]);
    expect(draws(mulberry32(-1), 4)).toEqual(draws(mulberry32(0xffffffff), 4));
  });

  it("replays the same stream from the same seed, in [0, 1)", () => {
    const xs = draws(mulberry32(7), 1000);
    expect(xs).toEqual(draws(mulberry32(7), 1000));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(8)()).not.toBe(xs[0]);
  });
});

describe("splitmix32", () => {
  it("draws exactly what replayOrder's own generator drew (pinned from the old code)", () => {
    expect(draws(splitmix32(0), 3)).toEqual([0.5733975800685585, 0.23765396769158542, 0.10578142385929823]);
    expect(draws(splitmix32(1), 3)).toEqual([0.5883937727194279, 0.07318899407982826, 0.59031065646559]);
    expect(draws(splitmix32(42), 3)).toEqual([0.21884025167673826, 0.9193855235353112, 0.07482402282766998]);
  });

  it("stays in [0, 1)", () => {
    expect(draws(splitmix32(3), 1000).every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
