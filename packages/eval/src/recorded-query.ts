/**
 * A recorded query decided again (`ttc replay`): its branches, as its record kept them, replayed in
 * virtual time through the same `QueryEngine`, in their recorded order and at their recorded speeds,
 * under the recorded policy (how faithful the replay is) and under another one (what would have
 * changed, and what it would have cost). Pure: a QueryRecord in, outcomes out.
 */
import type { CorpusRecord } from "@ttc/corpus";
import { createPolicy, type ExecutionMode } from "@ttc/policy";
import { answerFormatLabel, BranchStatus, executionModeLabel, type BranchTrace, type QueryRecord, type QueryStarted } from "@ttc/proto";
import { prepareProblem } from "./prepare.js";
import { simulateQuery, type QueryOutcome } from "./simulate.js";
import type { PolicySpec } from "./spec.js";

/** How a query is decided: its policy and verifier, mode, wave width and branch budget. */
export interface ReplayStrategy {
  policy: PolicySpec;
  mode: ExecutionMode;
  parallelism: number;
  maxBranches: number;
}

export interface RecordedReplay {
  /** The strategy the query ran with. */
  recorded: ReplayStrategy;
  /** The recorded strategy replayed: its decisions should be the recorded ones. */
  asRecorded: QueryOutcome;
  /** The other strategy, on the same branches. */
  replayed: QueryOutcome;
  /** What limits the replay (cut or shortened traces, a partial record). */
  caveats: string[];
  /** Branches replayed (the recorded ones, in launch order). */
  branches: number;
}

/** The strategy a record says its query ran with. */
function recordedStrategy(started: QueryStarted): ReplayStrategy {
  const mode = executionModeLabel(started.mode) ?? "waves";
  return {
    policy: {
      label: `${started.policy?.name ?? ""}@${started.verifier}`,
      name: started.policy?.name ?? "",
      params: { ...started.policy?.params },
      verifier: started.verifier,
    },
    mode,
    parallelism: started.parallelism,
    maxBranches: started.maxBranches,
  };
}

/**
 * Replays a record under its own strategy and under `other` (a field of `other` left out keeps the
 * recorded one). @throws Error when the record has no start or no branch trace to replay.
 */
export function replayRecord(record: QueryRecord, other: Partial<ReplayStrategy>): RecordedReplay {
  const started = record.entries.find((e) => e.entry?.$case === "started")?.entry;
  if (started?.$case !== "started") throw new Error(`the record of query ${record.queryId} has no start: nothing to replay`);
  const traces = new Map<number, BranchTrace>();
  for (const e of record.entries) if (e.entry?.$case === "trace") traces.set(e.entry.value.index, e.entry.value);
  const caveats: string[] = [];
  // Branches were launched in index order: the replay can use them up to the first one not recorded.
  const branches: BranchTrace[] = [];
  while (traces.has(branches.length)) branches.push(traces.get(branches.length)!);
  if (branches.length === 0) throw new Error(`the record of query ${record.queryId} has no branch trace: nothing to replay`);
  if (branches.length < traces.size)
    caveats.push(`branch ${branches.length} has no trace: only branches 0–${branches.length - 1} are replayed`);
  if (!record.complete) caveats.push("the record is partial (its scheduler died before the query ended)");
  const cut = branches.filter((b) => b.status !== BranchStatus.BRANCH_STATUS_FINISHED);
  if (cut.length > 0)
    caveats.push(
      `${cut.length} branch(es) were stopped when recorded (${cut.map((b) => `#${b.index}`).join(", ")}): a strategy that lets them run on sees them end where the recording did, without an answer`,
    );
  const shortened = branches.filter((b) => b.textTruncated);
  if (shortened.length > 0)
    caveats.push(
      `${shortened.length} trace(s) were recorded shortened (TTC_QUERY_RECORD_TRACE_CHARS): their middle steps are missing, so step checks and timings are approximate`,
    );
  const st = started.value;
  if (branches.length < st.maxBranches)
    caveats.push(
      `the query launched ${branches.length} of its ${st.maxBranches} branches: a strategy that would launch more sees only these`,
    );
  const format = answerFormatLabel(st.answerFormat) ?? "text";
  const corpus: CorpusRecord = {
    id: record.queryId,
    problem: st.request?.prompt ?? "",
    gold: "",
    format,
    source: "ttc-query-record",
    tokenCounting: "recorded",
    branches: branches.map((b) => ({ text: b.text, tokens: b.tokens })),
  };
  const problem = prepareProblem(corpus);
  const secondsPerToken = branches.map((b) => {
    const seconds = b.endedSeconds - b.startedSeconds;
    return b.tokens > 0 && seconds > 0 ? seconds / b.tokens : 0;
  });
  const pickupSeconds = Math.max(0, Math.min(...branches.map((b) => b.startedSeconds)));
  const recorded = recordedStrategy(st);
  const run = (s: ReplayStrategy) =>
    simulateQuery(problem, {
      policy: createPolicy(s.policy.name, s.policy.params),
      verifier: s.policy.verifier,
      mode: s.mode,
      parallelism: Math.max(1, Math.min(s.parallelism, s.maxBranches)),
      maxBranches: s.maxBranches,
      tokensPerSecond: 1,
      seed: Number(st.seed),
      order: branches.map((_, i) => i),
      timing: { secondsPerToken, pickupSeconds },
    });
  const otherStrategy: ReplayStrategy = { ...recorded, ...other };
  return { recorded, asRecorded: run(recorded), replayed: run(otherStrategy), caveats, branches: branches.length };
}
