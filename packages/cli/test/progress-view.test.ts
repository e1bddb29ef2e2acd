import { describe, expect, it } from "vitest";
import { BranchStatus, SolveResult, StopReason, type SolveEvent } from "@ttc/proto";
import { ProgressView, summarize } from "../src/progress-view.js";

type Event = NonNullable<SolveEvent["event"]>;
const ev = (event: Event): SolveEvent => ({ event });

/** A realistic stream: three branches, one pruned, one redelivered, a vote, a late failure. */
const stream: SolveEvent[] = [
  ev({ $case: "branchStarted", value: { index: 0, workerId: "w-a", attempt: 1 } }),
  ev({ $case: "branchStarted", value: { index: 2, workerId: "w-b", attempt: 2 } }),
  ev({ $case: "branchStarted", value: { index: 1, workerId: "w-a", attempt: 1 } }),
  ev({ $case: "branchProgress", value: { index: 0, tokens: 64, score: -1 } }),
  ev({ $case: "branchProgress", value: { index: 1, tokens: 32, score: 0.25 } }),
  ev({ $case: "branchProgress", value: { index: 0, tokens: 128, score: 0.9 } }),
  ev({ $case: "branchFinished", value: { index: 0, answer: "42", score: 0.875, tokens: 301, finishReason: "stop" } }),
  ev({
    $case: "consensus",
    value: {
      leader: "42",
      votes: [{ answer: "42", count: 1, weight: 1 }],
      leaderProbability: 0.5,
      branchesFinished: 1,
      branchesInFlight: 2,
    },
  }),
  ev({
    $case: "branchPruned",
    value: { index: 1, status: BranchStatus.BRANCH_STATUS_PRUNED, reason: "verifier rejected step 2", tokens: 40 },
  }),
  ev({ $case: "branchFailed", value: { index: 3, reason: "engine crashed", tokens: 0 } }),
];

describe("ProgressView", () => {
  it("shows only the consensus placeholder before any event", () => {
    expect(new ProgressView().render()).toEqual(["consensus: (none yet)  P(leader is majority)=0.000  votes: -"]);
  });

  it("folds a stream into one line per branch, ordered by index, and a consensus line", () => {
    const view = new ProgressView();
    stream.forEach((e) => view.apply(e));
    view.apply({ event: undefined });
    expect(view.render()).toEqual([
      "# 0 finished     301 tok  score 0.88  → 42",
      "# 1 pruned        40 tok  score 0.25    (verifier rejected step 2)",
      "# 2 running        0 tok  score   -     (attempt 2)",
      "# 3 failed         0 tok  score   -     (engine crashed)",
      "consensus: 42  P(leader is majority)=0.500  votes: 42×1",
    ]);
  });

  it("updates a running branch's tokens and score as progress arrives", () => {
    const view = new ProgressView();
    view.apply(stream[0]!);
    expect(view.render()[0]).toBe("# 0 running        0 tok  score   -   ");
    view.apply(stream[3]!);
    view.apply(stream[5]!);
    expect(view.render()[0]).toBe("# 0 running      128 tok  score 0.90  ");
  });

  it("marks a branch finished without an answer, and a cancel by its status", () => {
    const view = new ProgressView();
    view.apply(ev({ $case: "branchFinished", value: { index: 4, answer: "", score: -1, tokens: 12, finishReason: "length" } }));
    view.apply(
      ev({ $case: "branchPruned", value: { index: 5, status: BranchStatus.BRANCH_STATUS_CANCELLED, reason: "query decided", tokens: 7 } }),
    );
    const [four, five] = view.render();
    expect(four).toMatch(/^# 4 finished\s+12 tok .*\(no answer\)$/);
    expect(five).toMatch(/^# 5 cancelled\s+7 tok .*\(query decided\)$/);
  });

  it("takes the final states from the result", () => {
    const view = new ProgressView();
    stream.forEach((e) => view.apply(e));
    view.apply(
      ev({
        $case: "result",
        value: result({
          branches: [
            {
              index: 2,
              status: BranchStatus.BRANCH_STATUS_CANCELLED,
              tokens: 77,
              score: -1,
              answer: "",
              reason: "consensus reached",
              workerId: "w-b",
              attempts: 2,
            },
          ],
        }),
      }),
    );
    expect(view.render()[2]).toBe("# 2 cancelled     77 tok  score   -     (consensus reached)");
  });

  it("shows the vote distribution of the latest consensus update", () => {
    const view = new ProgressView();
    view.apply(
      ev({
        $case: "consensus",
        value: {
          leader: "7",
          votes: [
            { answer: "7", count: 3, weight: 3 },
            { answer: "8", count: 1, weight: 1 },
          ],
          leaderProbability: 0.93125,
          branchesFinished: 4,
          branchesInFlight: 0,
        },
      }),
    );
    expect(view.render().at(-1)).toBe("consensus: 7  P(leader is majority)=0.931  votes: 7×3 8×1");
  });

  it("fits the terminal's rows: the most relevant branches, a count of the rest, the consensus line", () => {
    const view = new ProgressView();
    for (let i = 0; i < 40; i++) {
      if (i % 4 === 0) view.apply(ev({ $case: "branchStarted", value: { index: i, workerId: "w", attempt: 1 } }));
      else if (i % 4 === 1)
        view.apply(ev({ $case: "branchFinished", value: { index: i, answer: "7", score: 1, tokens: 9, finishReason: "stop" } }));
      else
        view.apply(ev({ $case: "branchPruned", value: { index: i, status: BranchStatus.BRANCH_STATUS_PRUNED, reason: "x", tokens: 3 } }));
    }
    const lines = view.render(100, 14);
    expect(lines).toHaveLength(14);
    // 12 rows for branches: the 10 running ones, then the 2 finished with the lowest indexes, by index.
    expect(lines.slice(0, 12).map((l) => l.slice(0, 12))).toEqual([
      "# 0 running ",
      "# 1 finished",
      "# 4 running ",
      "# 5 finished",
      "# 8 running ",
      "#12 running ",
      "#16 running ",
      "#20 running ",
      "#24 running ",
      "#28 running ",
      "#32 running ",
      "#36 running ",
    ]);
    expect(lines[12]).toBe("… 28 more: 8 finished, 20 pruned");
    expect(lines[13]).toMatch(/^consensus: /);
  });

  it("draws every branch when they fit, and never fewer than the count and consensus lines", () => {
    const view = new ProgressView();
    stream.forEach((e) => view.apply(e));
    expect(view.render(100, 5)).toHaveLength(5);
    expect(view.render(100, 5)[3]).toMatch(/^# 3 failed/);
    expect(view.render(100, 4)).toEqual([
      "# 0 finished     301 tok  score 0.88  → 42",
      "# 2 running        0 tok  score   -     (attempt 2)",
      "… 2 more: 1 pruned, 1 failed",
      expect.stringMatching(/^consensus: /),
    ]);
    expect(view.render(100, 1)).toEqual(["… 4 more: 1 running, 1 finished, 1 pruned, 1 failed", expect.stringMatching(/^consensus: /)]);
  });

  it("truncates long lines to the width with an ellipsis", () => {
    const view = new ProgressView();
    view.apply(ev({ $case: "branchFailed", value: { index: 0, reason: "x".repeat(200), tokens: 5 } }));
    const line = view.render(40)[0]!;
    expect(line).toHaveLength(40);
    expect(line.endsWith("…")).toBe(true);
    expect(line.startsWith("# 0 failed")).toBe(true);
  });
});

function result(fields: Parameters<typeof SolveResult.fromPartial>[0] = {}): SolveResult {
  return SolveResult.fromPartial({
    queryId: "abc123",
    answer: "42",
    support: 0.75,
    votes: [
      { answer: "42", count: 3, weight: 3 },
      { answer: "41", count: 1, weight: 1 },
    ],
    stopReason: StopReason.STOP_REASON_CONSENSUS,
    stopDetail: "P(leader is majority) = 0.962 ≥ 0.95 after 4 answers",
    leaderProbability: 0.9621,
    seed: 99,
    verifier: "arith",
    policy: { name: "adaptive", params: { threshold: 0.95 } },
    compute: {
      promptTokens: 80,
      generatedTokens: 1234,
      wastedTokens: 321,
      verifierCalls: 9,
      engineSeconds: 2.5,
      branchesLaunched: 6,
      branchesPruned: 1,
    },
    timing: { queuedSeconds: 0.004, firstBranchStartedSeconds: 0.25, decidedSeconds: 1.5, totalSeconds: 1.625 },
    ...fields,
  });
}

describe("summarize", () => {
  it("states the answer, support, stop reason, cost and timing", () => {
    const lines = summarize(result());
    expect(lines[0]).toBe("answer:   42");
    expect(lines[1]).toBe("support:  75.0% of answered votes; P(leader is majority) = 0.962");
    expect(lines[2]).toBe("votes:    42: 3, 41: 1");
    expect(lines[3]).toBe("stopped:  consensus: P(leader is majority) = 0.962 ≥ 0.95 after 4 answers");
    expect(lines[4]).toContain("1234 tokens generated (321 wasted on pruned/cancelled branches), 80 prompt tokens");
    expect(lines[4]).toContain("6 branches launched, 1 pruned, 9 verifier calls, 2.50 engine-seconds");
    expect(lines[5]).toBe("timing:   first pickup 4 ms, first tokens 250 ms, decided 1.50 s, total 1.63 s");
    expect(lines[6]).toBe('policy:   adaptive {"threshold":0.95}, verifier arith, seed 99, query abc123');
  });

  it("labels every stop reason and says when there is no answer", () => {
    const lines = summarize(
      result({ answer: "", votes: [], stopReason: StopReason.STOP_REASON_TOKEN_BUDGET, stopDetail: "budget of 5000 tokens spent" }),
    );
    expect(lines[0]).toBe("answer:   (no answer)");
    expect(lines[2]).toBe("votes:    none");
    expect(lines[3]).toBe("stopped:  token_budget: budget of 5000 tokens spent");
    expect(summarize(result({ stopReason: StopReason.STOP_REASON_DEADLINE }))[3]).toMatch(/^stopped: {2}deadline: /);
    expect(summarize(result({ stopReason: StopReason.STOP_REASON_ALL_BRANCHES_DONE }))[3]).toMatch(/^stopped: {2}all_branches_done: /);
  });
});
