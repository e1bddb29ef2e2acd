import { describe, expect, it } from "vitest";
import { CancelRegistry } from "../src/cancel-registry.js";

/** The cancel key of the tasks in these tests. */
const K = new Uint8Array(16).fill(7);

describe("CancelRegistry", () => {
  it("a cancel counts only for tasks with its key: a forged one, under another key or none, covers nothing", () => {
    const registry = new CancelRegistry();
    registry.add("q1", undefined, new Uint8Array(0), 1000);
    registry.add("q1", 3, new Uint8Array(16).fill(9), 1000);
    expect(registry.has("q1", 3, K, 1000)).toBe(false);
    expect(registry.has("q1", 0, K, 1000)).toBe(false);
    registry.add("q1", 3, K, 1000);
    expect(registry.has("q1", 3, K, 1000)).toBe(true);
  });

  it("cancels every branch of a query when no branch is named", () => {
    const registry = new CancelRegistry();
    registry.add("q1", undefined, K, 1000);
    for (const branch of [0, 1, 7, 255]) expect(registry.has("q1", branch, K, 1000)).toBe(true);
    expect(registry.has("q2", 0, K, 1000)).toBe(false);
  });

  it("cancels only the named branch of a query", () => {
    const registry = new CancelRegistry();
    registry.add("q1", 2, K, 1000);
    registry.add("q1", 5, K, 1000);
    expect(registry.has("q1", 2, K, 1000)).toBe(true);
    expect(registry.has("q1", 5, K, 1000)).toBe(true);
    expect(registry.has("q1", 3, K, 1000)).toBe(false);
    expect(registry.has("q1", 0, K, 1000)).toBe(false);
    expect(registry.has("q2", 2, K, 1000)).toBe(false);
  });

  it("forgets entries once their TTL has passed", () => {
    const registry = new CancelRegistry(5_000);
    registry.add("q1", undefined, K, 10_000);
    registry.add("q2", 4, K, 12_000);
    expect(registry.has("q1", 0, K, 14_999)).toBe(true);
    expect(registry.has("q1", 0, K, 15_000)).toBe(false);
    expect(registry.has("q2", 4, K, 16_999)).toBe(true);
    expect(registry.has("q2", 4, K, 17_000)).toBe(false);
  });

  it("re-adding an entry extends its TTL", () => {
    const registry = new CancelRegistry(1_000);
    registry.add("q1", 1, K, 0);
    registry.add("q1", 1, K, 900);
    expect(registry.has("q1", 1, K, 1_500)).toBe(true);
    expect(registry.has("q1", 1, K, 1_900)).toBe(false);
  });

  it("keeps at most maxEntries, dropping the oldest first", () => {
    const registry = new CancelRegistry(60_000, 3);
    for (const [i, q] of ["a", "b", "c", "d"].entries()) registry.add(q, undefined, K, i);
    expect(registry.has("a", 0, K, 10)).toBe(false);
    for (const q of ["b", "c", "d"]) expect(registry.has(q, 0, K, 10)).toBe(true);
  });

  it("counts a re-added entry as the newest when bounding the size", () => {
    const registry = new CancelRegistry(60_000, 3);
    registry.add("a", undefined, K, 0);
    registry.add("b", undefined, K, 1);
    registry.add("c", undefined, K, 2);
    registry.add("a", undefined, K, 3);
    registry.add("d", undefined, K, 4);
    expect(registry.has("b", 0, K, 5)).toBe(false);
    for (const q of ["a", "c", "d"]) expect(registry.has(q, 0, K, 5)).toBe(true);
  });

  it("branch and whole-query entries of one query count separately towards the bound", () => {
    const registry = new CancelRegistry(60_000, 2);
    registry.add("q", 1, K, 0);
    registry.add("q", undefined, K, 1);
    registry.add("q", 2, K, 2);
    // The branch-1 entry was evicted, but the whole-query cancel still covers branch 1.
    expect(registry.has("q", 1, K, 3)).toBe(true);
    expect(registry.has("q", 2, K, 3)).toBe(true);
  });

  it("stays bounded under many adds", () => {
    const registry = new CancelRegistry(60_000, 100);
    for (let i = 0; i < 10_000; i++) registry.add(`q${i}`, i % 3 === 0 ? undefined : i, K, i);
    const kept = Array.from({ length: 10_000 }, (_, i) => registry.has(`q${i}`, i, K, 10_000)).filter(Boolean).length;
    expect(kept).toBe(100);
    expect(registry.has("q9999", 9999, K, 10_000)).toBe(true);
    expect(registry.has("q9899", 9899, K, 10_000)).toBe(false);
  });
});
