/**
 * QueryEngine driven with hand-made inputs: no sockets, no timers, no clock but the `at` of each input.
 * Every input kind, and the ways the wire misbehaves: duplicates, reordering, late and foreign
 * chunks, redelivered attempts, a failing or rejecting verifier, deadline, cancel, budget, settle.
 */
import { describe, expect, it } from "vitest";
import {
  AnswerFormat,
  BranchStatus,
  ChunkKind,
  StopReason,
  TraceChunk,
  type SolveEvent,
  type SolveResult,
  VerifyResponse,
} from "@ttc/proto";
import { createPolicy, type QueryLimits } from "@ttc/policy";
import { QueryEngine } from "../src/engine.js";
import type { QueryEffect, QueryFailure, QueryInput, QuerySpec } from "../src/types.js";

const QID = "q1";

type SpecOverrides = Omit<Partial<QuerySpec>, "limits"> & { limits?: Partial<QueryLimits> };
/** An input without its time: `Drive` stamps it with its clock. */
type Untimed = QueryInput extends infer I ? (I extends QueryInput ? Omit<I, "at"> : never) : never;

function spec(over: SpecOverrides = {}): QuerySpec {
  const { limits, ...rest } = over;
  return {
    queryId: QID,
    prompt: "What is 6 × 7?",
    answerFormat: "number",
    answerFormatEnum: AnswerFormat.ANSWER_FORMAT_NUMBER,
    policy: createPolicy("majority", {}),
    limits: { maxBranches: 3, parallelism: 3, tokenBudget: 1_000_000, mode: "all-parallel", ...limits },
    maxTokensPerBranch: 4096,
    verifier: "none",
    partialVerification: false,
    seed: 7,
    gangSize: 1,
    cancelSettleMs: 100,
    deadlineAt: 60_000,
    ...rest,
  };
}

type Kind = "started" | "progress" | "finished" | "cancelled" | "failed";
const kinds: Record<Kind, ChunkKind> = {
  started: ChunkKind.CHUNK_KIND_STARTED,
  progress: ChunkKind.CHUNK_KIND_PROGRESS,
  finished: ChunkKind.CHUNK_KIND_FINISHED,
  cancelled: ChunkKind.CHUNK_KIND_CANCELLED,
  failed: ChunkKind.CHUNK_KIND_FAILED,
};

/** Drives one engine and keeps every effect; `t` is the clock, advanced by hand. */
class Drive {
  readonly engine: QueryEngine;
  readonly effects: QueryEffect[] = [];
  t = 0;
  private readonly seqs = new Map<string, number>();

  constructor(s: QuerySpec = spec()) {
    this.engine = new QueryEngine(s);
    this.effects.push(...this.engine.start(this.t));
  }

  on(input: Untimed): QueryEffect[] {
    const out = this.engine.on({ ...input, at: this.t } as QueryInput);
    this.effects.push(...out);
    return out;
  }

  /** A chunk from a worker; seq counts up per branch and attempt unless given. */
  chunk(branch: number, kind: Kind, o: Partial<TraceChunk> = {}): QueryEffect[] {
    const attempt = o.attempt ?? 1;
    const key = `${branch}/${attempt}`;
    const seq = o.seq ?? this.seqs.get(key) ?? 0;
    this.seqs.set(key, seq + 1);
    return this.on({
      kind: "chunk",
      chunk: TraceChunk.create({ queryId: QID, branchIndex: branch, workerId: "w1", attempt, kind: kinds[kind], ...o, seq }),
    });
  }

  /** A branch that starts, streams `text` in one progress chunk and finishes with `tokens`. */
  run(branch: number, text: string, tokens: number): void {
    this.chunk(branch, "started");
    this.chunk(branch, "progress", { text, tokens: Math.floor(tokens / 2) });
    this.chunk(branch, "finished", { tokens, finishReason: "stop" });
  }

  verdict(id: number, response: Partial<VerifyResponse>): QueryEffect[] {
    return this.on({
      kind: "verdict",
      id,
      response: VerifyResponse.create({ score: 1, ...response }),
    });
  }

  of<K extends QueryEffect["kind"]>(kind: K): Extract<QueryEffect, { kind: K }>[] {
    return this.effects.filter((e): e is Extract<QueryEffect, { kind: K }> => e.kind === kind);
  }

  events(): NonNullable<SolveEvent["event"]>[] {
    return this.of("emit").map((e) => e.event.event!);
  }

  get done(): { result: SolveResult; failure: QueryFailure | null } {
    const d = this.of("done");
    expect(d).toHaveLength(1);
    return d[0]!;
  }
}

describe("QueryEngine: the life of a query", () => {
  it("arms the deadline and dispatches the first wave, one task per branch or per gang", () => {
    const d = new Drive();
    expect(d.effects).toEqual([
      { kind: "arm", timer: "deadline", at: 60_000 },
      { kind: "dispatch", branches: [0] },
      { kind: "dispatch", branches: [1] },
      { kind: "dispatch", branches: [2] },
    ]);
    const gangs = new Drive(spec({ gangSize: 2 }));
    expect(gangs.of("dispatch").map((e) => e.branches)).toEqual([[0, 1], [2]]);
    expect(d.engine.start(5)).toEqual([]);
  });

  it("answers by majority with a bill that adds up, events in order, and done last", () => {
    const d = new Drive();
    d.t = 1000;
    d.run(0, "6 × 7 = 42. The answer is 42.", 40);
    d.run(1, "The answer is 42.", 20);
    d.t = 2500;
    d.run(2, "The answer is 41.", 30);
    const { result, failure } = d.done;
    expect(failure).toBeNull();
    expect(d.effects.at(-1)!.kind).toBe("done");
    expect(result.answer).toBe("42");
    expect(result.votes).toEqual([
      { answer: "42", count: 2, weight: 2 },
      { answer: "41", count: 1, weight: 1 },
    ]);
    expect(result.stopReason).toBe(StopReason.STOP_REASON_ALL_BRANCHES_DONE);
    expect(result.compute).toMatchObject({
      generatedTokens: 90,
      wastedTokens: 0,
      branchesLaunched: 3,
      branchesPruned: 0,
      verifierCalls: 0,
    });
    expect(result.timing).toMatchObject({ queuedSeconds: 1, firstBranchStartedSeconds: 1, decidedSeconds: 2.5, totalSeconds: 2.5 });
    expect(result.branches.map((b) => [b.status, b.answer, b.tokens, b.attempts])).toEqual([
      [BranchStatus.BRANCH_STATUS_FINISHED, "42", 40, 1],
      [BranchStatus.BRANCH_STATUS_FINISHED, "42", 20, 1],
      [BranchStatus.BRANCH_STATUS_FINISHED, "41", 30, 1],
    ]);
    expect(d.events().map((e) => e.$case)).toEqual([
      ...["branchStarted", "branchProgress", "branchFinished", "consensus"],
      ...["branchStarted", "branchProgress", "branchFinished", "consensus"],
      ...["branchStarted", "branchProgress", "branchFinished", "consensus"],
    ]);
    expect(d.engine.done).toBe(true);
  });

  it("is deterministic: the same inputs give the same effects", () => {
    const play = () => {
      const d = new Drive(spec({ policy: createPolicy("adaptive", {}), limits: { mode: "waves", maxBranches: 8, parallelism: 2 } }));
      for (let b = 0; b < 8 && !d.engine.done; b++) d.run(b, `The answer is ${b % 3 === 0 ? 5 : 6}.`, 10 + b);
      return d.effects;
    };
    expect(play()).toEqual(play());
  });
});

describe("QueryEngine: chunks it must not believe twice", () => {
  it("drops a duplicate and a reordered chunk, so tokens and text count once", () => {
    const d = new Drive(spec({ limits: { maxBranches: 1, parallelism: 1 } }));
    d.chunk(0, "started", { seq: 0 });
    d.chunk(0, "progress", { seq: 1, text: "The answer ", tokens: 10 });
    expect(d.chunk(0, "progress", { seq: 1, text: "The answer ", tokens: 10 })).toEqual([]); // duplicate
    d.chunk(0, "progress", { seq: 3, text: "is 42.", tokens: 30 });
    expect(d.chunk(0, "progress", { seq: 2, text: "lost", tokens: 20 })).toEqual([]); // arrived after seq 3
    d.chunk(0, "finished", { seq: 4, tokens: 30, finishReason: "stop" });
    expect(d.done.result.answer).toBe("42");
    expect(d.done.result.compute!.generatedTokens).toBe(30);
  });

  it("drops chunks of another query and of an unknown branch, and changes nothing", () => {
    const d = new Drive(spec({ limits: { maxBranches: 1, parallelism: 1 } }));
    const foreign = d.on({
      kind: "chunk",
      chunk: TraceChunk.create({ queryId: "other", branchIndex: 0, attempt: 1, kind: kinds.finished, tokens: 9 }),
    });
    expect(foreign).toEqual([{ kind: "dropped", reason: "chunk of another query" }]);
    expect(d.chunk(5, "finished", { tokens: 9 })).toEqual([{ kind: "dropped", reason: "no branch 5 in this query" }]);
    d.run(0, "The answer is 42.", 12);
    expect(d.done.result.answer).toBe("42");
    expect(d.done.result.compute!.generatedTokens).toBe(12);
  });

  it("fails a branch whose chunk is of an unknown kind at once, so the query does not wait for it", () => {
    const d = new Drive(spec({ limits: { maxBranches: 2, parallelism: 2 } }));
    d.chunk(0, "started");
    const out = d.chunk(0, "progress", { kind: 99 as ChunkKind, tokens: 4_000_000_000, text: "The answer is 666." });
    expect(out.slice(0, 2)).toEqual([
      { kind: "dropped", reason: "worker w1 sent a chunk of unknown kind 99" },
      { kind: "cancel", branches: [0], reason: "the worker sent a chunk that cannot be true", prune: false },
    ]);
    d.run(1, "The answer is 42.", 12);
    const { result } = d.done;
    expect(result.answer).toBe("42");
    expect(result.compute!.generatedTokens).toBe(12);
    expect(result.branches[0]).toMatchObject({ status: BranchStatus.BRANCH_STATUS_FAILED, tokens: 0 });
  });

  const impossible: [string, Partial<TraceChunk>, RegExp][] = [
    ["tokens over max_tokens", { tokens: 2 ** 32 - 1 }, /tokens 4294967295 over the branch's max_tokens 4096/],
    ["engine seconds older than the query", { tokens: 5, engineSeconds: 4e300 }, /engine_seconds 4e\+300 outside/],
    ["engine seconds not a number", { tokens: 5, engineSeconds: NaN }, /engine_seconds NaN outside/],
    ["a recorded score that is not finite", { tokens: 5, recordedScore: Infinity }, /recorded_score Infinity/],
    ["more tokens after the cancel than in all", { tokens: 5, tokensAfterCancel: 9 }, /tokens_after_cancel 9 over its tokens 5/],
    ["a trace longer than its token budget allows", { tokens: 5, text: "x".repeat(64 * 4096 + 5000) }, /a trace of \d+ characters/],
  ];
  for (const [what, fields, reason] of impossible) {
    it(`fails a branch whose chunk cannot be true (${what}): the answer and the bill are the other branches'`, () => {
      const d = new Drive(spec({ limits: { maxBranches: 2, parallelism: 2 } }));
      d.chunk(0, "started");
      d.chunk(0, "progress", { text: "The answer is 4", tokens: 3 });
      const out = d.chunk(0, "finished", { text: "The answer is 666.", finishReason: "stop", ...fields });
      expect(out[0]).toMatchObject({ kind: "dropped", reason: expect.stringMatching(reason) });
      d.run(1, "The answer is 42.", 12);
      const { result } = d.done;
      expect(result.answer).toBe("42");
      expect(result.votes).toEqual([expect.objectContaining({ answer: "42", count: 1 })]);
      // The failed branch is billed what it said last while it could be believed.
      expect(result.compute!.generatedTokens).toBe(15);
      expect(result.branches[0]).toMatchObject({ status: BranchStatus.BRANCH_STATUS_FAILED, tokens: 3 });
    });
  }

  it("an impossible chunk of a superseded attempt is dropped without failing the attempt that runs now", () => {
    const d = new Drive(spec({ limits: { maxBranches: 1, parallelism: 1 } }));
    d.chunk(0, "started", { attempt: 1 });
    d.chunk(0, "started", { attempt: 2, workerId: "w2" });
    expect(d.chunk(0, "finished", { attempt: 1, tokens: 2 ** 32 - 1 })).toEqual([
      { kind: "dropped", reason: "worker w1 sent tokens 4294967295 over the branch's max_tokens 4096" },
    ]);
    d.chunk(0, "progress", { attempt: 2, workerId: "w2", text: "The answer is 42.", tokens: 8 });
    d.chunk(0, "finished", { attempt: 2, workerId: "w2", tokens: 8, finishReason: "stop" });
    expect(d.done.result.answer).toBe("42");
    expect(d.done.result.compute!.generatedTokens).toBe(8);
  });

  it("ignores everything once the query answered", () => {
    const d = new Drive(spec({ limits: { maxBranches: 1, parallelism: 1 } }));
    d.run(0, "The answer is 42.", 12);
    expect(d.engine.done).toBe(true);
    expect(d.chunk(0, "finished", { attempt: 2, tokens: 99 })).toEqual([]);
    expect(d.on({ kind: "timer", timer: "deadline" })).toEqual([]);
    expect(d.on({ kind: "interrupt", reason: "cancelled" })).toEqual([]);
  });

  it("bills a redelivered branch once: the dead attempt's tokens are waste, and so is what its late chunks add", () => {
    const d = new Drive(spec({ limits: { maxBranches: 1, parallelism: 1 } }));
    d.chunk(0, "started", { attempt: 1 });
    d.chunk(0, "progress", { attempt: 1, text: "The answer is 7", tokens: 50 });
    d.chunk(0, "started", { attempt: 2, workerId: "w2" });
    expect(d.of("note").map((n) => n.message)).toEqual(["branch redelivered to another worker"]);
    // The superseded attempt's last words: its answer does not count, the 10 tokens it added do (as waste).
    expect(d.chunk(0, "finished", { attempt: 1, tokens: 60, text: "7." })).toEqual([]);
    expect(d.chunk(0, "finished", { attempt: 1, tokens: 60, text: "7." })).toEqual([]); // counted once
    d.chunk(0, "progress", { attempt: 2, workerId: "w2", text: "The answer is 42.", tokens: 80 });
    d.chunk(0, "finished", { attempt: 2, workerId: "w2", tokens: 80, finishReason: "stop" });
    const { result } = d.done;
    expect(result.answer).toBe("42");
    expect(result.compute).toMatchObject({ generatedTokens: 140, wastedTokens: 60 });
    expect(result.branches[0]).toMatchObject({ attempts: 2, workerId: "w2", tokens: 140 });
  });

  it("a lost worker's running branches are dispatched again, once, numbered past JetStream's redeliveries; the old attempt, still streaming, is told to stop", () => {
    const d = new Drive(spec({ limits: { maxBranches: 2, parallelism: 2 } }));
    d.chunk(0, "started", { attempt: 1, workerId: "w1" });
    d.chunk(1, "started", { attempt: 1, workerId: "w2" });
    d.chunk(0, "progress", { attempt: 1, workerId: "w1", text: "2 + 2", tokens: 20 });
    expect(d.on({ kind: "worker-lost", workerId: "w1" }).filter((e) => e.kind === "redispatch")).toEqual([
      { kind: "redispatch", branch: 0, attemptOffset: 101 },
    ]);
    expect(d.on({ kind: "worker-lost", workerId: "w1" }).filter((e) => e.kind === "redispatch")).toEqual([]); // once
    d.chunk(0, "started", { attempt: 102, workerId: "w3" });
    // The frozen worker wakes and streams its old attempt: one cancel of attempts below 102, its tokens billed.
    expect(d.chunk(0, "progress", { attempt: 1, workerId: "w1", text: " = 4", tokens: 40 })).toEqual([
      { kind: "cancel", branches: [0], reason: "superseded by a newer attempt", prune: false, supersededBelow: 102 },
    ]);
    expect(d.chunk(0, "progress", { attempt: 1, workerId: "w1", text: ".", tokens: 45, seq: 9 })).toEqual([]);
    d.chunk(0, "progress", { attempt: 102, workerId: "w3", text: "The answer is 42.", tokens: 15 });
    d.chunk(0, "finished", { attempt: 102, workerId: "w3", tokens: 30, finishReason: "stop" });
    d.chunk(1, "progress", { attempt: 1, workerId: "w2", text: "The answer is 42.", tokens: 15 });
    d.chunk(1, "finished", { attempt: 1, workerId: "w2", tokens: 30, finishReason: "stop" });
    expect(d.done.result.compute).toMatchObject({ generatedTokens: 45 + 30 + 30, wastedTokens: 45 });
  });

  it("stops a redelivery of a branch whose end it already has", () => {
    const d = new Drive(spec({ limits: { maxBranches: 2, parallelism: 2 } }));
    d.run(0, "The answer is 42.", 12);
    expect(d.chunk(0, "started", { attempt: 2 })).toEqual([{ kind: "cancel", branches: [0], reason: "branch already ended", prune: true }]);
  });
});

describe("QueryEngine: verdicts", () => {
  const verified = (over: SpecOverrides = {}) =>
    spec({ verifier: "arith", partialVerification: true, limits: { maxBranches: 1, parallelism: 1 }, ...over });

  it("verifies progress before the policy sees it, coalescing progress that arrives meanwhile", () => {
    const d = new Drive(verified());
    d.chunk(0, "started");
    const first = d.chunk(0, "progress", { text: "2 + 2 = 4. ", tokens: 10 });
    expect(first.filter((e) => e.kind === "verify")).toMatchObject([
      { id: 1, request: { trace: "2 + 2 = 4. ", final: false, branchIndex: 0 } },
    ]);
    expect(d.chunk(0, "progress", { text: "4 + 4 = 8. ", tokens: 20 }).filter((e) => e.kind === "verify")).toEqual([]);
    // The verdict on the first prefix asks at once for the newer trace.
    const next = d.verdict(1, { score: 1 });
    expect(next.filter((e) => e.kind === "verify")).toMatchObject([{ id: 2, request: { trace: "2 + 2 = 4. 4 + 4 = 8. ", final: false } }]);
    // The branch finishes while that verdict is awaited: the final verify follows it.
    d.chunk(0, "finished", { text: "The answer is 8.", tokens: 25, finishReason: "stop" });
    expect(d.verdict(2, { score: 1 }).filter((e) => e.kind === "verify")).toMatchObject([{ id: 3, request: { final: true } }]);
    d.verdict(3, { score: 0.9, verified: true });
    const { result } = d.done;
    expect(result.answer).toBe("8");
    expect(result.compute!.verifierCalls).toBe(3);
    expect(result.branches[0]!.score).toBe(0.9);
    expect(result.verifierDegraded).toBe(false);
  });

  it("prunes a branch the verifier rejects mid-trace and tells the worker", () => {
    const d = new Drive(verified({ limits: { maxBranches: 2, parallelism: 2 } }));
    d.chunk(0, "started");
    d.chunk(0, "progress", { text: "2 + 2 = 5. ", tokens: 10 });
    const out = d.verdict(1, { score: 0, reject: true, reason: "2 + 2 = 5 is wrong" });
    expect(out).toContainEqual({ kind: "cancel", branches: [0], reason: "verifier arith: 2 + 2 = 5 is wrong", prune: true });
    expect(d.events().filter((e) => e.$case === "branchPruned")).toHaveLength(1);
    d.chunk(0, "cancelled", { tokens: 14 });
    expect(d.of("stop-acked")).toEqual([{ kind: "stop-acked", seconds: 0 }]);
    d.chunk(1, "started");
    d.chunk(1, "progress", { text: "2 + 2 = 4. ", tokens: 10 });
    d.verdict(2, { score: 1 });
    d.chunk(1, "finished", { text: "The answer is 4.", tokens: 12, finishReason: "stop" });
    d.verdict(3, { score: 1 });
    const { result } = d.done;
    expect(result.answer).toBe("4");
    expect(result.compute).toMatchObject({ generatedTokens: 26, wastedTokens: 14, branchesPruned: 1 });
  });

  it("prunes a finished branch whose final answer the verifier rejects: it never votes", () => {
    const d = new Drive(spec({ verifier: "rule", limits: { maxBranches: 1, parallelism: 1 } }));
    d.run(0, "The answer is 41.", 10);
    expect(d.of("verify")).toMatchObject([{ request: { final: true } }]);
    d.verdict(1, { score: 0, reject: true, reason: "wrong" });
    const { result } = d.done;
    expect(result.answer).toBe("");
    expect(result.branches[0]!.status).toBe(BranchStatus.BRANCH_STATUS_PRUNED);
  });

  it("answers unscored when the verifier fails, and says it was degraded", () => {
    const d = new Drive(verified());
    d.chunk(0, "started");
    d.chunk(0, "progress", { text: "The answer is 42.", tokens: 10 });
    d.verdict(1, { error: "verifier arith did not answer within 30000 ms" });
    d.chunk(0, "finished", { tokens: 10, finishReason: "stop" });
    d.verdict(2, { error: "verifier arith did not answer within 30000 ms" });
    const { result } = d.done;
    expect(result.answer).toBe("42");
    expect(result.verifierDegraded).toBe(true);
    expect(result.verifierNote).toBe(
      "2 of 2 calls to verifier arith failed; those traces are unscored (counted unweighted); first error: verifier arith did not answer within 30000 ms",
    );
    expect(d.of("note").filter((n) => n.level === "warn")).toHaveLength(2);
  });

  it("ignores a verdict for a superseded attempt and verifies the new one", () => {
    const d = new Drive(verified());
    d.chunk(0, "started", { attempt: 1 });
    d.chunk(0, "progress", { attempt: 1, text: "2 + 2 = 5. ", tokens: 10 });
    d.chunk(0, "started", { attempt: 2 });
    d.chunk(0, "progress", { attempt: 2, text: "2 + 2 = 4. ", tokens: 10 });
    const out = d.verdict(1, { reject: true, reason: "2 + 2 = 5 is wrong" });
    expect(out.filter((e) => e.kind === "cancel")).toEqual([]);
    expect(out.filter((e) => e.kind === "verify")).toMatchObject([{ request: { trace: "2 + 2 = 4. " } }]);
    expect(d.verdict(99, { reject: true })).toEqual([]); // no such call
  });
});

describe("QueryEngine: incremental verification", () => {
  const verified = () => spec({ verifier: "arith", partialVerification: true, limits: { maxBranches: 1, parallelism: 1 } });
  const requests = (d: Drive) => d.of("verify").map((e) => e.request);

  it("sends the next partial request only the trace after the verifier's resume offset, with its state", () => {
    const d = new Drive(verified());
    d.chunk(0, "started");
    d.chunk(0, "progress", { text: "2 + 2 = 4. Then ", tokens: 10 });
    d.chunk(0, "progress", { text: "4 + 4 = 8. ", tokens: 20 });
    const state = Buffer.from("the verifier's state at 8");
    d.verdict(1, { resumeOffset: 8, resume: state });
    expect(requests(d)).toMatchObject([
      { trace: "2 + 2 = 4. Then ", traceOffset: 0, resume: Buffer.alloc(0), final: false },
      { trace: "4. Then 4 + 4 = 8. ", traceOffset: 8, resume: state, final: false },
    ]);
    // The final request carries the whole trace once, with the latest state.
    d.chunk(0, "finished", { text: "The answer is 8.", tokens: 25, finishReason: "stop" });
    const later = Buffer.from("the verifier's state at 20");
    d.verdict(2, { resumeOffset: 20, resume: later });
    expect(requests(d)[2]).toMatchObject({
      trace: "2 + 2 = 4. Then 4 + 4 = 8. The answer is 8.",
      traceOffset: 0,
      resume: later,
      final: true,
    });
  });

  it("starts a superseded attempt again from offset 0, without the old attempt's state", () => {
    const d = new Drive(verified());
    d.chunk(0, "started", { attempt: 1 });
    d.chunk(0, "progress", { attempt: 1, text: "2 + 2 = 4. Then ", tokens: 10 });
    d.verdict(1, { resumeOffset: 11, resume: Buffer.from("attempt 1") });
    d.chunk(0, "progress", { attempt: 1, text: "4 + 4 = 8. ", tokens: 20 });
    expect(requests(d)[1]).toMatchObject({ trace: "Then 4 + 4 = 8. ", traceOffset: 11 });
    // A redelivery: the new attempt's text is verified from its start, and a late verdict on the old one changes nothing.
    d.chunk(0, "started", { attempt: 2 });
    d.chunk(0, "progress", { attempt: 2, text: "3 + 3 = 6. ", tokens: 10 });
    d.verdict(2, { resumeOffset: 16, resume: Buffer.from("attempt 1, later") });
    expect(requests(d)[2]).toMatchObject({ trace: "3 + 3 = 6. ", traceOffset: 0, resume: Buffer.alloc(0) });
  });

  it("starts over with the whole trace after a failed call or an offset past what the verifier was sent", () => {
    const d = new Drive(verified());
    d.chunk(0, "started");
    d.chunk(0, "progress", { text: "2 + 2 = 4. ", tokens: 10 });
    d.chunk(0, "progress", { text: "Then ", tokens: 12 });
    d.verdict(1, { resumeOffset: 12, resume: Buffer.from("past the end") });
    d.chunk(0, "progress", { text: "4 + 4 = 8. ", tokens: 20 });
    // Even when a failed answer names an offset: the state the verifier failed on is not sent again.
    d.verdict(2, { error: "verifier arith failed: its resume state is not a arith/1 state", resumeOffset: 5, resume: Buffer.from("x") });
    expect(requests(d).map((r) => [r.traceOffset, r.trace])).toEqual([
      [0, "2 + 2 = 4. "],
      [0, "2 + 2 = 4. Then "],
      [0, "2 + 2 = 4. Then 4 + 4 = 8. "],
    ]);
  });
});

describe("QueryEngine: ends", () => {
  it("at the deadline answers with what finished, cancelling the rest", () => {
    const d = new Drive();
    d.run(0, "The answer is 42.", 10);
    d.chunk(1, "started");
    d.t = 60_000;
    d.on({ kind: "timer", timer: "deadline", liveWorkers: 2 });
    expect(d.of("cancel")).toEqual([{ kind: "cancel", branches: [], reason: "query stopped: deadline", prune: false }]);
    expect(d.of("arm").at(-1)).toEqual({ kind: "arm", timer: "settle", at: 60_100 });
    d.chunk(1, "cancelled", { tokens: 7 });
    const { result, failure } = d.done;
    expect(failure).toBeNull();
    expect(result).toMatchObject({ answer: "42", stopReason: StopReason.STOP_REASON_DEADLINE });
    expect(result.compute).toMatchObject({ generatedTokens: 17, wastedTokens: 7 });
  });

  it("at the deadline with nothing answered is DEADLINE_EXCEEDED saying whether any worker picked a branch up", () => {
    const none = new Drive();
    none.on({ kind: "timer", timer: "deadline", liveWorkers: 0 });
    expect(none.done.failure).toEqual({
      code: "DEADLINE_EXCEEDED",
      message: "deadline passed before any worker picked up a branch (3 queued, 0 live workers); add workers or allow a longer deadline",
    });
    const some = new Drive();
    some.chunk(0, "started");
    some.on({ kind: "timer", timer: "deadline", liveWorkers: 1 });
    some.on({ kind: "timer", timer: "settle" }); // the worker never confirmed the stop
    expect(some.done.failure?.message).toMatch(/^deadline passed before any branch produced an answer \(1 of 3 branches started\)/);
  });

  it("is DEADLINE_EXCEEDED when the workers' deadline stops arrive before its own deadline timer", () => {
    const d = new Drive();
    for (const b of [0, 1, 2]) d.chunk(b, "started");
    d.t = 60_000;
    for (const b of [0, 1, 2]) d.chunk(b, "cancelled", { tokens: 5, finishReason: "deadline passed" });
    d.on({ kind: "timer", timer: "settle" });
    expect(d.done.failure?.code).toBe("DEADLINE_EXCEEDED");
  });

  it("on cancel stops every branch and fails CANCELLED", () => {
    const d = new Drive();
    d.chunk(0, "started");
    d.on({ kind: "interrupt", reason: "cancelled" });
    expect(d.of("cancel")).toEqual([{ kind: "cancel", branches: [], reason: "query stopped: cancelled", prune: false }]);
    expect(d.engine.done).toBe(false); // waiting for branch 0's final count
    d.chunk(0, "cancelled", { tokens: 3 });
    expect(d.done.failure).toEqual({ code: "CANCELLED", message: "the caller cancelled the query" });
    expect(d.done.result.compute!.wastedTokens).toBe(3);
  });

  it("stops at the token budget and answers after the settle wait even without the stopped branches' counts", () => {
    const d = new Drive(spec({ limits: { tokenBudget: 100 } }));
    d.run(0, "The answer is 42.", 40);
    d.chunk(1, "started");
    d.chunk(1, "progress", { text: "The answer", tokens: 70 });
    expect(d.engine.decided).toBe(true);
    expect(d.engine.done).toBe(false);
    d.t = 100;
    d.on({ kind: "timer", timer: "settle" });
    const { result } = d.done;
    expect(result.stopReason).toBe(StopReason.STOP_REASON_TOKEN_BUDGET);
    expect(result.answer).toBe("42");
    expect(result.compute!.generatedTokens).toBe(110);
    expect(result.timing).toMatchObject({ decidedSeconds: 0, totalSeconds: 0.1 });
  });

  it("fails UNAVAILABLE when no task could be enqueued", () => {
    const d = new Drive();
    const error = "could not enqueue branch tasks on stream TTC_TASKS: timeout";
    for (const b of [0, 1, 2]) d.on({ kind: "dispatch-failed", branches: [b], error });
    expect(d.done.failure).toEqual({ code: "UNAVAILABLE", message: error });
    expect(d.events().filter((e) => e.$case === "branchFailed")).toHaveLength(3);
  });

  it("passes on the engine's code when every branch failed the same way at the engine", () => {
    const d = new Drive(spec({ limits: { maxBranches: 2, parallelism: 2 } }));
    for (const b of [0, 1]) {
      d.chunk(b, "started");
      d.chunk(b, "failed", { failureCode: "INVALID_ARGUMENT", finishReason: "engine said 400: prompt too long" });
    }
    expect(d.done.failure).toEqual({
      code: "INVALID_ARGUMENT",
      message: "every branch failed at the engine: worker w1 failed: engine said 400: prompt too long",
    });
  });

  it("a failure code it does not know is not passed on", () => {
    const d = new Drive(spec({ limits: { maxBranches: 1, parallelism: 1 } }));
    d.chunk(0, "failed", { failureCode: "DATA_LOSS", finishReason: "?" });
    expect(d.done.failure).toBeNull();
    expect(d.done.result.answer).toBe("");
  });
});

describe("QueryEngine: a query resumed from an earlier run's finished branches", () => {
  /** Runs a query to its end and keeps what it recorded of each finished branch. */
  function firstRun(over: SpecOverrides, play: (d: Drive) => void): Map<number, TraceChunk> {
    const d = new Drive(spec(over));
    play(d);
    return new Map(d.of("branch-finished").map((e) => [e.chunk.branchIndex, e.chunk]));
  }

  it("records each finished branch's whole trace once, as one FINISHED chunk", () => {
    const recorded = firstRun({}, (d) => {
      d.run(0, "The answer is 42.", 20);
      d.chunk(1, "started");
      d.chunk(1, "failed", { finishReason: "engine down" });
    });
    expect([...recorded.keys()]).toEqual([0]);
    expect(recorded.get(0)).toMatchObject({ kind: ChunkKind.CHUNK_KIND_FINISHED, text: "The answer is 42.", tokens: 20, attempt: 1 });
  });

  it("reuses the finished branches without dispatching them, and dispatches only the rest", () => {
    const recorded = firstRun({}, (d) => {
      d.run(0, "The answer is 42.", 20);
      d.run(2, "The answer is 41.", 30);
    });
    const d = new Drive(spec({ queryId: QID, restored: recorded }));
    expect(d.of("dispatch").map((e) => e.branches)).toEqual([[1]]);
    expect(d.of("branch-finished")).toEqual([]); // already in the record
    d.run(1, "The answer is 42.", 25);
    const { result } = d.done;
    expect(result.answer).toBe("42");
    expect(result.votes).toEqual([
      { answer: "42", count: 2, weight: 2 },
      { answer: "41", count: 1, weight: 1 },
    ]);
    expect(result.compute).toMatchObject({ generatedTokens: 75, reusedBranches: 2, reusedTokens: 50, branchesLaunched: 3 });
    // Only what this run generated is charged now.
    expect(d.engine.generatedTokens).toBe(25);
  });

  it("verifies a reused branch again before it votes, so a verifier's verdict is not taken on trust", () => {
    const recorded = firstRun({ limits: { maxBranches: 1, parallelism: 1 } }, (d) => d.run(0, "The answer is 42.", 20));
    const d = new Drive(spec({ limits: { maxBranches: 1, parallelism: 1 }, verifier: "rule", restored: recorded }));
    const verify = d.of("verify");
    expect(verify).toHaveLength(1);
    expect(verify[0]!.request).toMatchObject({ final: true, trace: "The answer is 42.", branchIndex: 0 });
    d.verdict(verify[0]!.id, { score: 0.9 });
    expect(d.done.result).toMatchObject({ answer: "42", compute: { reusedBranches: 1, generatedTokens: 20 } });
  });

  it("finishes at once when the reused branches already settle the consensus", () => {
    const recorded = firstRun({}, (d) => {
      d.run(0, "The answer is 42.", 20);
      d.run(1, "The answer is 42.", 20);
      d.run(2, "The answer is 42.", 20);
    });
    const d = new Drive(spec({ restored: recorded }));
    expect(d.of("dispatch")).toEqual([]);
    expect(d.done.result).toMatchObject({ answer: "42", compute: { reusedBranches: 3, reusedTokens: 60 } });
    expect(d.engine.generatedTokens).toBe(0);
  });

  it("in waves, takes a recorded branch when the policy reaches its index", () => {
    const over: SpecOverrides = { policy: createPolicy("majority", {}), limits: { mode: "waves", maxBranches: 4, parallelism: 2 } };
    const recorded = firstRun(over, (d) => {
      d.run(0, "The answer is 5.", 10);
      d.run(1, "The answer is 5.", 10);
      d.run(3, "The answer is 6.", 10); // branch 2 of the second wave had not finished when this run ended
    });
    const d = new Drive(spec({ ...over, restored: recorded }));
    expect(d.of("dispatch").map((e) => e.branches)).toEqual([[2]]);
    d.run(2, "The answer is 5.", 10);
    expect(d.done.result.compute).toMatchObject({ reusedBranches: 3, branchesLaunched: 4 });
  });

  it("dispatches a recorded branch that could not be true instead of believing it", () => {
    const bad = new Map([
      [0, TraceChunk.create({ branchIndex: 0, attempt: 1, kind: ChunkKind.CHUNK_KIND_FINISHED, text: "The answer is 1.", tokens: 99_999 })],
      [1, TraceChunk.create({ branchIndex: 7, attempt: 1, kind: ChunkKind.CHUNK_KIND_FINISHED, text: "The answer is 1.", tokens: 5 })],
      [2, TraceChunk.create({ branchIndex: 2, attempt: 1, kind: ChunkKind.CHUNK_KIND_PROGRESS, text: "The answer is 1.", tokens: 5 })],
    ]);
    const d = new Drive(spec({ restored: bad }));
    expect(d.of("dispatch").map((e) => e.branches)).toEqual([[0], [1], [2]]);
  });
});
