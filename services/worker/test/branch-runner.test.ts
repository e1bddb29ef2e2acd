import { describe, expect, it } from "vitest";
import { BranchTask, ChunkKind, type TraceChunk } from "@ttc/proto";
import { defaultSimOptions, planBranch, renderTrace, syntheticDisclaimer } from "@ttc/sim";
import { EngineError, type Backend, type GenerationEvent, type GenerationRequest } from "../src/backend.js";
import { SimBackend } from "../src/backends/sim.js";
import { BranchRun, type StopRequest } from "../src/branch-runner.js";

const prompt = "A shop sells 17 apples and then 25 more; how many apples did it sell?";

function makeTask(fields: Partial<BranchTask> = {}): BranchTask {
  return BranchTask.fromPartial({
    queryId: "q1",
    branchIndex: 3,
    prompt,
    seed: 42,
    maxTokens: 100_000,
    chunkTokens: 8,
    traceSubject: "t",
    ...fields,
  });
}

/** A backend that replays a script of events, then (optionally) throws. */
class FakeBackend implements Backend {
  readonly name = "fake";
  readonly synthetic = false;
  constructor(private readonly script: (request: GenerationRequest) => AsyncIterable<GenerationEvent>) {}
  generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
    return this.script(request);
  }
  async close(): Promise<void> {}
}

function start(backend: Backend, task = makeTask()) {
  const chunks: TraceChunk[] = [];
  let counted = 0;
  const run = new BranchRun({
    task,
    attempt: 2,
    workerId: "w-1",
    backend,
    publish: (c) => chunks.push(c),
    onTokens: (n) => (counted += n),
  });
  return { run, chunks, counted: () => counted };
}

const kinds = (chunks: TraceChunk[]) => chunks.map((c) => c.kind);
const text = (chunks: TraceChunk[]) => chunks.map((c) => c.text).join("");

function expectWellFormed(chunks: TraceChunk[]) {
  chunks.forEach((c, i) => {
    expect(c).toMatchObject({ seq: i, queryId: "q1", branchIndex: 3, workerId: "w-1", attempt: 2 });
    if (i > 0) expect(c.tokens).toBeGreaterThanOrEqual(chunks[i - 1]!.tokens);
  });
  expect(chunks[0]).toMatchObject({ kind: ChunkKind.CHUNK_KIND_STARTED, text: "", tokens: 0 });
}

describe("BranchRun with the sim backend", () => {
  it("streams STARTED, PROGRESS…, FINISHED carrying exactly the planned trace", async () => {
    const sim = new SimBackend({ ...defaultSimOptions, tokensPerSecond: 0 });
    const { run, chunks, counted } = start(sim);
    const outcome = await run.run();
    const plan = planBranch(prompt, 42, 100_000, defaultSimOptions);

    expectWellFormed(chunks);
    const middle = kinds(chunks).slice(1, -1);
    expect(middle.length).toBeGreaterThan(2);
    expect(middle.every((k) => k === ChunkKind.CHUNK_KIND_PROGRESS)).toBe(true);
    const last = chunks.at(-1)!;
    expect(last).toMatchObject({ kind: ChunkKind.CHUNK_KIND_FINISHED, finishReason: "stop", tokens: plan.tokens.length });
    expect(last.promptTokens).toBe(Math.ceil(prompt.length / 4));
    expect(text(chunks)).toBe(renderTrace(plan.tokens));
    expect(text(chunks).startsWith(`${syntheticDisclaimer}\n`)).toBe(true);
    expect(chunks.every((c) => c.synthetic)).toBe(true);
    expect(outcome).toEqual({ kind: "finished", tokens: plan.tokens.length });
    expect(counted()).toBe(plan.tokens.length);
    expect(last.confidence?.tokens).toBe(plan.tokens.length);
    expect(last.confidence?.meanLogprob).toBeLessThan(0);
  });

  it("reports a truncated branch as finished with reason length", async () => {
    const { run, chunks } = start(new SimBackend({ ...defaultSimOptions, tokensPerSecond: 0 }), makeTask({ maxTokens: 30 }));
    expect(await run.run()).toEqual({ kind: "finished", tokens: 30 });
    expect(chunks.at(-1)).toMatchObject({ kind: ChunkKind.CHUNK_KIND_FINISHED, finishReason: "length", tokens: 30 });
  });

  it("never holds back a finished step and never flushes before chunkTokens mid-step", async () => {
    const { run, chunks } = start(new SimBackend({ ...defaultSimOptions, tokensPerSecond: 4000 }), makeTask({ chunkTokens: 8 }));
    await run.run();
    const progress = chunks.filter((c) => c.kind === ChunkKind.CHUNK_KIND_PROGRESS);
    for (const c of progress) {
      const delta = c.tokens - chunks[c.seq - 1]!.tokens;
      expect(c.text.endsWith("\n") || delta >= 8).toBe(true);
    }
    // Every step boundary of the plan ends a chunk.
    const plan = planBranch(prompt, 42, 100_000, defaultSimOptions);
    const boundaries = plan.tokens.flatMap((t, i) => (t.stepEnd ? [i + 1] : []));
    expect(boundaries.length).toBeGreaterThanOrEqual(3);
    const flushedAt = new Set(progress.map((c) => c.tokens));
    expect(boundaries.filter((b) => !flushedAt.has(b))).toEqual([]);
  });

  it("stops mid-run on stop(): CANCELLED chunk, few tokens after the cancel", async () => {
    const sim = new SimBackend({ ...defaultSimOptions, meanTokens: 1000, tokensPerSecond: 2000 });
    const plan = planBranch(prompt, 42, 100_000, { ...defaultSimOptions, meanTokens: 1000 });
    expect(plan.tokens.length).toBeGreaterThan(300); // takes >150 ms, so a stop at 40 ms lands mid-run
    const { run, chunks } = start(sim);
    const running = run.run();
    await new Promise((r) => setTimeout(r, 40));
    run.stop({ reason: "pruned: low score", handBack: false });
    run.stop({ reason: "second stop is ignored", handBack: true });
    expect(run.stopped).toBe(true);
    const outcome = await running;

    expect(outcome.kind).toBe("cancelled");
    if (outcome.kind !== "cancelled") return;
    expect(outcome.reason).toBe("pruned: low score");
    expect(outcome.tokensAfterCancel).toBeLessThanOrEqual(5);
    expect(outcome.cancelToStopSeconds).toBeLessThan(0.1);
    expect(outcome.tokens).toBeGreaterThan(0);
    expect(outcome.tokens).toBeLessThan(plan.tokens.length);
    expectWellFormed(chunks);
    const last = chunks.at(-1)!;
    expect(last).toMatchObject({ kind: ChunkKind.CHUNK_KIND_CANCELLED, finishReason: "pruned: low score", tokens: outcome.tokens });
    expect(last.tokensAfterCancel).toBe(outcome.tokensAfterCancel);
    expect(kinds(chunks)).not.toContain(ChunkKind.CHUNK_KIND_FINISHED);
    expect(renderTrace(plan.tokens).startsWith(text(chunks))).toBe(true);
  });

  it("hands the task back on stop with handBack: no final chunk", async () => {
    const { run, chunks } = start(new SimBackend({ ...defaultSimOptions, meanTokens: 1000, tokensPerSecond: 2000 }));
    const running = run.run();
    await new Promise((r) => setTimeout(r, 40));
    const drain: StopRequest = { reason: "worker draining", handBack: true };
    run.stop(drain);
    const outcome = await running;
    expect(outcome.kind).toBe("handed_back");
    // Tokens still pending at the stop are counted but not published: the next attempt redoes them.
    expect(outcome.tokens).toBeGreaterThanOrEqual(chunks.at(-1)!.tokens);
    expect(outcome.tokens).toBeGreaterThan(0);
    const finals = [ChunkKind.CHUNK_KIND_FINISHED, ChunkKind.CHUNK_KIND_CANCELLED, ChunkKind.CHUNK_KIND_FAILED];
    expect(kinds(chunks).filter((k) => finals.includes(k))).toEqual([]);
  });
});

describe("BranchRun with a fake backend", () => {
  it("flushes progress every chunkTokens tokens when steps are long", async () => {
    const backend = new FakeBackend(async function* () {
      yield { type: "prompt", promptTokens: 5 };
      for (let i = 0; i < 23; i++) yield { type: "tokens", text: `t${i} `, tokens: 1, stepEnd: false };
      yield { type: "end", finishReason: "stop", promptTokens: 5 };
    });
    const { run, chunks } = start(backend, makeTask({ chunkTokens: 5 }));
    expect(await run.run()).toEqual({ kind: "finished", tokens: 23 });
    expectWellFormed(chunks);
    expect(chunks.map((c) => c.tokens)).toEqual([0, 5, 10, 15, 20, 23]);
    expect(chunks.at(-1)).toMatchObject({ kind: ChunkKind.CHUNK_KIND_FINISHED, text: "t20 t21 t22 ", promptTokens: 5 });
    expect(chunks.every((c) => c.synthetic === false)).toBe(true);
  });

  it("reports a throwing backend as FAILED with the error text", async () => {
    const backend = new FakeBackend(async function* () {
      yield { type: "tokens", text: "abc", tokens: 3, stepEnd: false };
      throw new Error("engine exploded: CUDA out of memory");
    });
    const { run, chunks } = start(backend);
    expect(await run.run()).toEqual({ kind: "failed", tokens: 3, error: "engine exploded: CUDA out of memory" });
    expect(kinds(chunks)).toEqual([ChunkKind.CHUNK_KIND_STARTED, ChunkKind.CHUNK_KIND_FAILED]);
    expect(chunks[1]).toMatchObject({ text: "abc", tokens: 3, finishReason: "engine exploded: CUDA out of memory", failureCode: "" });
  });

  it("sends an EngineError's code as the failure code, whatever its message says", async () => {
    for (const code of ["INVALID_ARGUMENT", "FAILED_PRECONDITION", "RESOURCE_EXHAUSTED", "UNAVAILABLE"] as const) {
      const backend = new FakeBackend(async function* () {
        yield* [];
        throw new EngineError("HTTP 503: connection refused", { code });
      });
      const { run, chunks } = start(backend);
      expect(await run.run()).toEqual({ kind: "failed", tokens: 0, error: "HTTP 503: connection refused" });
      expect(chunks.at(-1)).toMatchObject({ kind: ChunkKind.CHUNK_KIND_FAILED, failureCode: code });
    }
  });

  it("reports a stream that ends without an end event as failed", async () => {
    const backend = new FakeBackend(async function* () {
      yield { type: "tokens", text: "half a thought", tokens: 3, stepEnd: true };
    });
    const { run, chunks } = start(backend);
    const outcome = await run.run();
    expect(outcome).toMatchObject({ kind: "failed", tokens: 3 });
    expect(chunks.at(-1)).toMatchObject({
      kind: ChunkKind.CHUNK_KIND_FAILED,
      finishReason: "backend fake ended the stream without finishing",
    });
  });

  it("treats a backend error after stop() as the cancel, not a failure", async () => {
    const backend = new FakeBackend(async function* (request) {
      yield { type: "tokens", text: "x", tokens: 1, stepEnd: false };
      await new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(new Error("aborted by signal"))));
    });
    const { run, chunks } = start(backend);
    const running = run.run();
    await new Promise((r) => setTimeout(r, 10));
    run.stop({ reason: "query decided", handBack: false });
    expect(await running).toMatchObject({ kind: "cancelled", tokens: 1, reason: "query decided", tokensAfterCancel: 0 });
    expect(chunks.at(-1)).toMatchObject({ kind: ChunkKind.CHUNK_KIND_CANCELLED, text: "x", finishReason: "query decided" });
  });
});
