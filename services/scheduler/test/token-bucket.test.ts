import { describe, expect, it } from "vitest";
import { TokenBucket } from "../src/token-bucket.js";

describe("token bucket", () => {
  it("starts full, refills at its rate up to the burst, and goes into debt that delays the next token", () => {
    const bucket = new TokenBucket(6_000, 1_000, 0); // 100 tokens a second
    expect(bucket.level(0)).toBe(1_000);
    expect(bucket.charge(1_500, 0)).toBe(-500);
    expect(bucket.msUntilPositive(0)).toBe(5_010); // 501 tokens at 0.1 per ms
    expect(bucket.level(5_000)).toBeCloseTo(0);
    expect(bucket.msUntilPositive(5_000)).toBe(10);
    expect(bucket.level(60_000)).toBe(1_000); // capped at the burst
    expect(bucket.msUntilPositive(60_000)).toBe(0);
  });

  it("does not run backwards when the clock does", () => {
    const bucket = new TokenBucket(60_000, 10, 1_000);
    bucket.charge(10, 1_000);
    expect(bucket.level(500)).toBe(0);
  });
});
