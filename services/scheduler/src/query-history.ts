import { BranchStatus, type BranchTrace, type QueryRecordEntry, type QueryStarted, type SolveEvent, type SolveResult } from "@ttc/proto";
import type { BranchView } from "@ttc/query";
import type { QueryRecordWriter } from "./query-records.js";

/** Whether an entry is a record's last: the result (after the failure, when there was one). */
export function isLastEntry(entry: QueryRecordEntry): boolean {
  return entry.entry?.$case === "event" && entry.entry.value.event?.$case === "result";
}

/** What the record keeps of a trace: its beginning and its end (where the answer is) when longer than `maxChars`. */
export function capTrace(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  const marker = `\n[… ${text.length - maxChars} characters not recorded …]\n`;
  const head = Math.floor(maxChars / 4);
  return { text: text.slice(0, head) + marker + text.slice(text.length - (maxChars - head)), truncated: true };
}

/**
 * Turns one query's life into record entries as it happens: its start, its branch events and
 * consensus updates (progress left out: each branch's step scores go with its trace), a branch's
 * trace once it ends, then the result or the failure. Times are seconds since the query started.
 */
export class QueryHistory {
  private readonly traced = new Set<number>();
  private readonly startedAt = new Map<number, number>();
  private readonly t0 = performance.now();

  constructor(
    private readonly writer: QueryRecordWriter,
    /** A branch's view from the engine. */
    private readonly branch: (index: number) => BranchView | undefined,
    private readonly traceChars: number,
  ) {}

  started(started: QueryStarted): void {
    this.add({ $case: "started", value: started });
  }

  event(event: SolveEvent): void {
    const e = event.event;
    if (!e || e.$case === "branchProgress" || e.$case === "result" || e.$case === "accepted") return;
    const at = this.seconds();
    if (e.$case === "branchStarted" && !this.startedAt.has(e.value.index)) this.startedAt.set(e.value.index, at);
    this.add({ $case: "event", value: event }, at);
    if (e.$case === "branchFinished" || e.$case === "branchPruned" || e.$case === "branchFailed") this.trace(e.value.index, at);
  }

  /**
   * The end: traces of branches that ended without an event of their own (cancelled at the stop),
   * the failure the caller got if any, and last the result (a reader stops at it).
   */
  async ended(result: SolveResult, failure: { code: string; message: string } | null): Promise<void> {
    const at = this.seconds();
    for (const b of result.branches) if (b.status !== BranchStatus.BRANCH_STATUS_QUEUED) this.trace(b.index, at);
    if (failure) this.add({ $case: "failed", value: failure }, at);
    this.add({ $case: "event", value: { event: { $case: "result", value: result } } }, at);
    await this.writer.close();
  }

  private trace(index: number, at: number): void {
    if (this.traced.has(index)) return;
    const view = this.branch(index);
    if (!view) return;
    this.traced.add(index);
    const s = view.summary;
    const { text, truncated } = capTrace(view.text, this.traceChars);
    const trace: BranchTrace = {
      index,
      status: s.status,
      reason: s.reason,
      answer: s.answer,
      score: s.score,
      stepScores: [...view.stepScores],
      tokens: s.tokens,
      attempts: s.attempts,
      workerId: s.workerId,
      engineSeconds: view.engineSeconds,
      text,
      textChars: view.text.length,
      textTruncated: truncated,
      finishReason: view.finishReason,
      startedSeconds: this.startedAt.get(index) ?? 0,
      endedSeconds: at,
    };
    this.add({ $case: "trace", value: trace }, at);
  }

  private add(entry: QueryRecordEntry["entry"], at = this.seconds()): void {
    this.writer.add({ atSeconds: at, entry });
  }

  private seconds(): number {
    return (performance.now() - this.t0) / 1000;
  }
}
