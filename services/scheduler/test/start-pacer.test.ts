import { describe, expect, it } from "vitest";
import { StartPacer } from "../src/start-pacer.js";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("StartPacer", () => {
  it("lets at most perTurn callers start in one event-loop turn, the rest in later turns, in order", async () => {
    const pacer = new StartPacer(3);
    const started: number[] = [];
    const all = Array.from({ length: 8 }, (_, i) => pacer.turn().then(() => started.push(i)));
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    await nextTurn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    await Promise.all(all);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("starts a lone caller at once", async () => {
    const pacer = new StartPacer(1);
    let started = false;
    void pacer.turn().then(() => (started = true));
    await Promise.resolve();
    expect(started).toBe(true);
  });
});
