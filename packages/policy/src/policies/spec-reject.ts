/**
 * Speculative rejection (Sun et al. 2024, "Fast Best-of-N Decoding via Speculative Rejection"): at
 * checkpoints every `checkpointTokens` generated tokens, the running branches that reached the
 * checkpoint are ranked by their partial score and the lowest `rejectionRate` fraction is stopped.
 * The survivors finish; the answer is the best-scored one (best-of-N).
 */
import type { BranchView, Policy, PolicyContext, Prune } from "../types.js";
import { createBestOfNPolicy } from "./best-of-n.js";
import { readParams } from "./params.js";

export const specRejectParamSpecs = {
  rejectionRate: { default: 0.5, min: 0, max: 1, exclusive: true, doc: "alpha: fraction stopped at each checkpoint" },
  checkpointTokens: { default: 256, min: 1, max: 10_000_000, integer: true, doc: "tokens between checkpoints" },
};

export function createSpecRejectPolicy(params: Record<string, number> = {}): Policy {
  const p = readParams("spec-reject", specRejectParamSpecs, params);
  const best = createBestOfNPolicy();
  /** Scores each branch had when it crossed each checkpoint: checkpoint → branch → score. */
  const snapshots = new Map<number, Map<number, number>>();
  let judged = 0;

  return {
    name: "spec-reject",
    params: Object.freeze({ ...p }),
    vote: (branch, answer, score, view) => best.vote(branch, answer, score, view),
    consensus: () => best.consensus(),
    settled: (progress) => best.settled(progress),
    review(changed: BranchView, context: PolicyContext): Prune[] {
      if (changed.state === "running" && changed.score !== undefined) {
        for (let j = judged + 1; j * p.checkpointTokens <= changed.tokens; j++) {
          let m = snapshots.get(j);
          if (!m) snapshots.set(j, (m = new Map()));
          if (!m.has(changed.index)) m.set(changed.index, changed.score);
        }
      }
      // Judge the next checkpoint once every running branch has reached it (or ended); a branch may have
      // carried the last straggler past several checkpoints at once, so judge every one that is ready.
      const prunes: Prune[] = [];
      const stopped = new Set<number>();
      for (;;) {
        const next = judged + 1;
        const at = snapshots.get(next);
        const running = context.branches.filter((b) => (b.state === "running" || b.state === "queued") && !stopped.has(b.index));
        if (!at || running.length === 0 || running.some((b) => !at.has(b.index))) return prunes;
        judged = next;
        const cohort = running
          .map((b) => ({ index: b.index, score: at.get(b.index)! }))
          .sort((a, b) => a.score - b.score || b.index - a.index);
        const reject = Math.floor(cohort.length * p.rejectionRate);
        for (const b of cohort.slice(0, reject)) {
          stopped.add(b.index);
          prunes.push({
            branch: b.index,
            reason: `checkpoint ${next} (${next * p.checkpointTokens} tokens): partial score ${b.score.toFixed(3)} in the lowest ${Math.round(p.rejectionRate * 100)}%`,
          });
        }
      }
    },
  };
}
