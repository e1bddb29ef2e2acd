import { stopReasonLabel, BranchStatus, type SolveEvent, type SolveResult, type Vote } from "@ttc/proto";

/** What the live view knows about one branch. */
interface BranchLine {
  index: number;
  state: string;
  tokens: number;
  score: number;
  answer: string;
  note: string;
  worker: string;
}

const stateByStatus: Record<number, string> = {
  [BranchStatus.BRANCH_STATUS_PRUNED]: "pruned",
  [BranchStatus.BRANCH_STATUS_CANCELLED]: "cancelled",
  [BranchStatus.BRANCH_STATUS_FAILED]: "failed",
  [BranchStatus.BRANCH_STATUS_FINISHED]: "finished",
  [BranchStatus.BRANCH_STATUS_RUNNING]: "running",
  [BranchStatus.BRANCH_STATUS_QUEUED]: "queued",
};

/**
 * Folds the SolveStream events into per-branch lines and a consensus line. Pure: the terminal
 * code decides how to draw `render()`.
 */
export class ProgressView {
  private readonly branches = new Map<number, BranchLine>();
  private leader = "";
  private votes: Vote[] = [];
  private probability = 0;

  apply(event: SolveEvent): void {
    const e = event.event;
    if (!e) return;
    switch (e.$case) {
      case "branchStarted":
        Object.assign(this.line(e.value.index), {
          state: "running",
          worker: e.value.workerId,
          note: e.value.attempt > 1 ? `attempt ${e.value.attempt}` : "",
        });
        break;
      case "branchProgress":
        Object.assign(this.line(e.value.index), { tokens: e.value.tokens, score: e.value.score });
        break;
      case "branchPruned":
        Object.assign(this.line(e.value.index), {
          state: stateByStatus[e.value.status] ?? "stopped",
          tokens: e.value.tokens,
          note: e.value.reason,
        });
        break;
      case "branchFinished":
        Object.assign(this.line(e.value.index), {
          state: "finished",
          tokens: e.value.tokens,
          score: e.value.score,
          answer: e.value.answer,
          note: e.value.answer ? "" : "no answer",
        });
        break;
      case "branchFailed":
        Object.assign(this.line(e.value.index), { state: "failed", tokens: e.value.tokens, note: e.value.reason });
        break;
      case "consensus":
        this.leader = e.value.leader;
        this.votes = e.value.votes;
        this.probability = e.value.leaderProbability;
        break;
      case "result":
        for (const b of e.value.branches) {
          Object.assign(this.line(b.index), {
            state: stateByStatus[b.status] ?? "?",
            tokens: b.tokens,
            score: b.score,
            answer: b.answer,
            note: b.reason,
            worker: b.workerId,
          });
        }
        break;
    }
  }

  /** One line per branch (ordered by index) and a consensus line. */
  render(width = 100): string[] {
    const lines = [...this.branches.values()]
      .sort((a, b) => a.index - b.index)
      .map((b) => {
        const score = b.score >= 0 ? b.score.toFixed(2) : "  - ";
        const text = `#${String(b.index).padStart(2)} ${b.state.padEnd(9)} ${String(b.tokens).padStart(6)} tok  score ${score}  ${b.answer ? `→ ${b.answer}` : ""}${b.note ? `  (${b.note})` : ""}`;
        return text.length > width ? `${text.slice(0, width - 1)}…` : text;
      });
    const dist = this.votes.map((v) => `${v.answer}×${v.count}`).join(" ");
    lines.push(`consensus: ${this.leader || "(none yet)"}  P(leader is majority)=${this.probability.toFixed(3)}  votes: ${dist || "-"}`);
    return lines;
  }

  private line(index: number): BranchLine {
    let l = this.branches.get(index);
    if (!l) {
      l = { index, state: "queued", tokens: 0, score: -1, answer: "", note: "", worker: "" };
      this.branches.set(index, l);
    }
    return l;
  }
}

/** The closing summary: answer, support, why it stopped and what it cost. */
export function summarize(result: SolveResult): string[] {
  const c = result.compute!;
  const t = result.timing!;
  const votes = result.votes.map((v) => `${v.answer}: ${v.count}`).join(", ") || "none";
  return [
    `answer:   ${result.answer || "(no answer)"}`,
    `support:  ${(result.support * 100).toFixed(1)}% of answered votes; P(leader is majority) = ${result.leaderProbability.toFixed(3)}`,
    `votes:    ${votes}`,
    `stopped:  ${stopReasonLabel(result.stopReason)}: ${result.stopDetail}`,
    `compute:  ${c.generatedTokens} tokens generated (${c.wastedTokens} wasted on pruned/cancelled branches), ${c.promptTokens} prompt tokens, ` +
      `${c.branchesLaunched} branches launched, ${c.branchesPruned} pruned, ${c.verifierCalls} verifier calls, ${c.engineSeconds.toFixed(2)} engine-seconds`,
    `timing:   first pickup ${fmt(t.queuedSeconds)}, first tokens ${fmt(t.firstBranchStartedSeconds)}, decided ${fmt(t.decidedSeconds)}, total ${fmt(t.totalSeconds)}`,
    `policy:   ${result.policy?.name} ${JSON.stringify(result.policy?.params ?? {})}, verifier ${result.verifier}, seed ${result.seed}, query ${result.queryId}`,
  ];
}

function fmt(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(0)} ms` : `${seconds.toFixed(2)} s`;
}
