import { describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { TtcError } from "../src/error.js";
import { retryableCodes, retryDelay, retryPolicy } from "../src/retry.js";

const unavailable = new TtcError(status.UNAVAILABLE, "draining");
const policy = retryPolicy({ maxAttempts: 6, initialBackoffMs: 100, maxBackoffMs: 1_000, multiplier: 2 });

describe("retryDelay", () => {
  it("retries UNAVAILABLE only", () => {
    expect([...retryableCodes]).toEqual([status.UNAVAILABLE]);
    for (const code of [status.INVALID_ARGUMENT, status.DEADLINE_EXCEEDED, status.CANCELLED, status.RESOURCE_EXHAUSTED, status.INTERNAL]) {
      expect(retryDelay(new TtcError(code, "x"), 1, policy, undefined)).toBeUndefined();
    }
  });

  it("grows exponentially up to the cap, jittered between half and all of the step", () => {
    const steps = [100, 200, 400, 800, 1_000];
    steps.forEach((step, i) => {
      expect(retryDelay(unavailable, i + 1, policy, undefined, () => 0)).toBe(step / 2);
      expect(retryDelay(unavailable, i + 1, policy, undefined, () => 0.999_999)).toBeCloseTo(step, 2);
    });
  });

  it("is bounded in attempts and by the deadline", () => {
    expect(retryDelay(unavailable, 6, policy, undefined)).toBeUndefined();
    expect(retryDelay(unavailable, 1, policy, Date.now() + 10, () => 0)).toBeUndefined();
    expect(retryDelay(unavailable, 1, policy, Date.now() + 10_000, () => 0)).toBe(50);
  });

  it("applies defaults once and names a bad field", () => {
    expect(retryPolicy()).toEqual({ maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 2_000, multiplier: 2 });
    expect(retryPolicy({ maxAttempts: 1 }, policy).initialBackoffMs).toBe(100);
    expect(() => retryPolicy({ multiplier: 0.5 })).toThrow("retry.multiplier: 0.5 is not a number ≥ 1");
    expect(() => retryPolicy({ initialBackoffMs: Number.NaN })).toThrow("retry.initialBackoffMs: NaN is not a number ≥ 0");
  });
});
