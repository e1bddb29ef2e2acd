/**
 * DeepConf online (Fu et al. 2025, "Deep Think with Confidence"): `warmup` branches run to the end and
 * set a bar at a percentile of their lowest group confidence; later branches are stopped as soon as
 * their lowest group confidence falls below it. Answers are voted with confidence weights, only from
 * branches at or above the bar, and the query stops once the leader's weighted share reaches `threshold`.
 * Branches without confidence (an engine without logprobs, recorded text) are never stopped and vote
 * with weight 1, so the policy then behaves as a majority vote with a consensus stop.
 */
import { quantile } from "@ttc/stats";
import type { BranchView, Consensus, Policy, PolicyContext, Prune } from "../types.js";
import { VoteTally } from "../vote.js";
import { readParams } from "./params.js";

export const deepconfParamSpecs = {
  warmup: { default: 16, min: 1, max: 10_000, integer: true, doc: "N_init: branches that run fully to set the bar" },
  eta: { default: 90, min: 1, max: 100, doc: "percent of warm-up traces kept above the bar (10 = DeepConf-low, 90 = DeepConf-high)" },
  threshold: { default: 0.95, min: 0.5, max: 1, doc: "tau: stop when the leader's confidence-weighted share reaches it" },
};

export function createDeepConfPolicy(params: Record<string, number> = {}): Policy {
  const p = readParams("deepconf", deepconfParamSpecs, params);
  let tally = new VoteTally();
  /** Every ended branch's answer and confidence, so the tally can be recounted once the bar is known. */
  const ended = new Map<number, { answer: string | null; confidence: number | undefined }>();
  /** Lowest group confidences of the warm-up branches that finished with one. */
  const warm: number[] = [];
  /** Warm-up branches (index < warmup) that ended, however. */
  let warmEnded = 0;
  let bar: number | null = null;

  // A confidence that is not a finite, non-negative number is treated as absent (it cannot weigh a vote).
  const confidenceOf = (v: BranchView | undefined): number | undefined => {
    const c = v?.confidence?.lowestGroupConfidence;
    return c !== undefined && Number.isFinite(c) && c >= 0 ? c : undefined;
  };
  /** Warm-up branches this query will actually run. */
  const warmupSize = (maxBranches: number): number => Math.min(p.warmup, maxBranches);
  /** Below the bar a trace neither survives online nor votes, warm-up traces included (the confidence filter). */
  const count = (branch: number, answer: string | null, c: number | undefined): void => {
    tally.add(branch, c !== undefined && bar !== null && c < bar ? null : answer, c ?? 1);
  };

  return {
    name: "deepconf",
    params: Object.freeze({ ...p }),
    vote(branch, answer, _score, view) {
      if (ended.has(branch)) return;
      const c = confidenceOf(view);
      ended.set(branch, { answer, confidence: c });
      count(branch, answer, c);
      if (branch >= p.warmup) return;
      warmEnded++;
      if (view?.state === "finished" && c !== undefined) warm.push(c);
      // The bar is set once the whole warm-up ended, from those of its branches that reported confidence;
      // the votes already counted are then recounted through the filter.
      if (warmEnded === p.warmup && warm.length > 0) {
        // The paper's (100 - eta)th percentile, as numpy computes it (linear interpolation).
        bar = quantile(warm, (100 - p.eta) / 100);
        tally = new VoteTally();
        for (const [b, v] of ended) count(b, v.answer, v.confidence);
      }
    },
    consensus: (): Consensus => tally.consensus(),
    settled({ finished, maxBranches }) {
      const c = tally.consensus();
      if (finished >= maxBranches) return { settled: true, detail: `all ${maxBranches} branches ended` };
      if (warmEnded < warmupSize(maxBranches)) return { settled: false, detail: `warm-up: ${warmEnded} of ${p.warmup} branches ended` };
      const settled = c.leader !== null && c.support >= p.threshold;
      return {
        settled,
        detail: `leader's confidence-weighted share ${(c.support * 100).toFixed(1)}% ${settled ? "≥" : "<"} ${p.threshold * 100}%`,
      };
    },
    review(_changed: BranchView, context: PolicyContext): Prune[] {
      // Every running later branch whose lowest group confidence is below the bar stops (those that fell
      // below it before the bar was known stop as soon as it is).
      const cut = bar;
      if (cut === null) return [];
      const prunes: Prune[] = [];
      for (const b of context.branches) {
        const c = confidenceOf(b);
        if (b.index < p.warmup || (b.state !== "running" && b.state !== "queued") || c === undefined || c >= cut) continue;
        prunes.push({ branch: b.index, reason: `lowest group confidence ${c.toFixed(3)} fell below the warm-up bar ${cut.toFixed(3)}` });
      }
      return prunes;
    },
    demand(context: PolicyContext) {
      // The warm-up runs as one wave (nothing else starts before its bar is known); afterwards the full width.
      const size = warmupSize(context.maxBranches);
      if (warmEnded >= size) return Number.POSITIVE_INFINITY;
      return context.launched < size ? size - context.ended : context.inFlight;
    },
  };
}
