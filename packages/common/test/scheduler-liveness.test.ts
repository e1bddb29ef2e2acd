import { describe, expect, it } from "vitest";
import { SchedulerLiveness } from "../src/scheduler-liveness.js";

describe("scheduler liveness", () => {
  it("a scheduler is gone after two of its own intervals of silence, never less than 2 s", () => {
    const live = new SchedulerLiveness(0, 5_000);
    live.beat("s1", 1_500, 1_000);
    expect(live.gone("s1", 4_000)).toBe(false);
    expect(live.gone("s1", 4_001)).toBe(true);
    live.beat("s1", 1_500, 4_100); // back: alive again
    expect(live.gone("s1", 4_500)).toBe(false);
    live.beat("fast", 200, 0);
    expect(live.gone("fast", 1_999)).toBe(false);
    expect(live.gone("fast", 2_001)).toBe(true);
  });

  it("a scheduler never heard is gone only once the worker has listened for the grace", () => {
    const live = new SchedulerLiveness(0, 5_000);
    expect(live.gone("unheard", 4_000)).toBe(false);
    expect(live.gone("unheard", 5_001)).toBe(true);
  });

  it("takes an announced interval only within bounds, and forgets long-silent schedulers without reviving them", () => {
    const live = new SchedulerLiveness(0, 5_000);
    live.beat("fast", 0, 10_000); // counted as 50 ms, so the 2 s floor decides
    expect(live.gone("fast", 12_001)).toBe(true);
    live.beat("slow", 10 ** 9, 10_000); // counted as 60 s
    expect(live.gone("slow", 130_001)).toBe(true);
    live.forgetOlderThan(60_000, 200_000);
    expect(live.gone("slow", 200_000)).toBe(true);
  });
});
