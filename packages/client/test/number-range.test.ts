import { describe, expect, it } from "vitest";
import { describeRange, numberInRange } from "../src/number-range.js";

describe("numberInRange", () => {
  it("reads numbers and integers within their bounds", () => {
    expect(numberInRange("8", { integer: true, min: 1 })).toBe(8);
    expect(numberInRange(" 0.5 ", { min: 0, max: 1 })).toBe(0.5);
    expect(numberInRange(256, { integer: true, min: 0, max: 256 })).toBe(256);
    expect(numberInRange("-3e2", {})).toBe(-300);
  });

  it("refuses NaN, infinities, empty text, fractions of integers and values out of range, stating the range", () => {
    expect(() => numberInRange("NaN", {})).toThrow(new RangeError("expected a number"));
    expect(() => numberInRange("abc", { integer: true, min: 0 })).toThrow("expected an integer ≥ 0");
    expect(() => numberInRange("", { min: 0 })).toThrow("expected a number ≥ 0");
    expect(() => numberInRange("Infinity", { max: 10 })).toThrow("expected a number ≤ 10");
    expect(() => numberInRange("1.5", { integer: true, min: 1, max: 4 })).toThrow("expected an integer from 1 to 4");
    expect(() => numberInRange("5", { integer: true, min: 1, max: 4 })).toThrow("expected an integer from 1 to 4");
    expect(() => numberInRange("0", { min: 0, minExclusive: true })).toThrow("expected a number > 0");
  });

  it("names the option when given a name", () => {
    expect(() => numberInRange("x", { integer: true, min: 1 }, "--repeats")).toThrow('--repeats: "x" is not an integer ≥ 1');
    expect(() => numberInRange(Number.NaN, { min: 0 }, "timeoutMs")).toThrow("timeoutMs: NaN is not a number ≥ 0");
  });

  it("describes every kind of range", () => {
    expect(describeRange({})).toBe("a number");
    expect(describeRange({ integer: true })).toBe("an integer");
    expect(describeRange({ min: 0, max: 1 })).toBe("a number from 0 to 1");
    expect(describeRange({ min: 0, minExclusive: true })).toBe("a number > 0");
    expect(describeRange({ min: 0, minExclusive: true, max: 1 })).toBe("a number > 0 and ≤ 1");
  });
});
