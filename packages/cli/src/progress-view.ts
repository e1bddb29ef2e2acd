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

  /**
   * One line per branch (ordered by index) and a consensus line, each cut to `width`. With more
   * branches than fit in `height` rows, the most relevant ones are shown (running, then finished, then
   * stopped; lowest index first) and one line counts the rest by state, so a redraw never outgrows
   * the terminal. At least that line and the consensus line are drawn, whatever the height.
   */
  render(width = 100, height = Infinity): string[] {
    const all = [...this.branches.values()];
    const branchRows = height - 1;
    const fits = all.length <= branchRows;
    const shown = fits
      ? all
      : [...all].sort((a, b) => relevance(a) - relevance(b) || a.index - b.index).slice(0, Math.max(0, branchRows - 1));
    const lines = shown.sort((a, b) => a.index - b.index).map(formatBranch);
    if (!fits) lines.push(`… ${all.length - shown.length} more: ${countByState(all.filter((b) => !shown.includes(b)))}`);
    const dist = this.votes.map((v) => `${v.answer}×${v.count}`).join(" ");
    lines.push(`consensus: ${this.leader || "(none yet)"}  P(leader is majority)=${this.probability.toFixed(3)}  votes: ${dist || "-"}`);
    return lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
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

/** Display order of the states when rows are short: live branches first, stopped ones last. */
const stateOrder = ["running", "queued", "finished", "pruned", "cancelled", "failed"];

function relevance(b: BranchLine): number {
  const i = stateOrder.indexOf(b.state);
  return i < 0 ? stateOrder.length : i;
}

function formatBranch(b: BranchLine): string {
  const score = b.score >= 0 ? b.score.toFixed(2) : "  - ";
  return `#${String(b.index).padStart(2)} ${b.state.padEnd(9)} ${String(b.tokens).padStart(6)} tok  score ${score}  ${b.answer ? `→ ${b.answer}` : ""}${b.note ? `  (${b.note})` : ""}`;
}

/** "3 running, 20 finished, 2 pruned", in display order. */
function countByState(branches: BranchLine[]): string {
  const counts = new Map<string, number>();
  for (const b of [...branches].sort((x, y) => relevance(x) - relevance(y))) counts.set(b.state, (counts.get(b.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(", ");
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
