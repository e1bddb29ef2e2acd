/**
 * The seeded order in which a problem's recorded branches are replayed. The replay backend and the
 * in-process evaluator both use it, so a query with the same seed sees the same branches in the same
 * order in the cluster and offline.
 */
import { splitmix32 } from "@ttc/stats";

/** A permutation of 0..n-1 from a seed (Fisher–Yates driven by splitmix32). */
export function replayOrder(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  // Query seeds run to 2^53: the high word is folded into the low one rather than dropped.
  const next = splitmix32(Math.floor(seed) ^ Math.floor(seed / 2 ** 32));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The recorded branch that branch `index` of a query replays (wrapping when the query asks for more). */
export function replayedBranch(n: number, seed: number, index: number): number {
  return replayOrder(n, seed)[index % n]!;
}
