import { describe, expect, it } from "vitest";
import { fmix32, fnv1a32, xorMultiply, xorShift } from "../src/mod.js";

describe("fnv1a32", () => {
  it("matches the published FNV-1a test vectors", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });
});

describe("fmix32", () => {
  it("is murmur3's finaliser (values pinned from the old sim hash)", () => {
    expect([0, 1, 2, 0xffffffff, 123456789].map(fmix32)).toEqual([0, 1364076727, 821347078, 2180083513, 3126909082]);
  });

  it("reads its input as 32 bits, signed or not", () => {
    expect(fmix32(-1)).toBe(fmix32(0xffffffff));
  });

  it("composes with fnv1a32 into the old sim's hashString (pinned)", () => {
    const hashString = (text: string): number => fmix32(fnv1a32(text));
    expect(["", "a", "ttc", "prompt\u00000", "How many marbles are left in sim puzzle 42?\u000042", "é∑"].map(hashString)).toEqual([
      2872998923, 444641715, 259317325, 3247421400, 1052858352, 2968190873,
    ]);
  });
});

describe("xorShift and xorMultiply", () => {
  it("are unsigned 32-bit steps", () => {
    expect(xorShift(0xffffffff, 16)).toBe(0xffff0000);
    expect(xorShift(-1, 16)).toBe(0xffff0000);
    expect(xorMultiply(1, 2, 3)).toBe(9);
    expect(xorMultiply(0, 0xffffffff, 2)).toBe(0xfffffffe);
  });
});
