/**
 * The in-process `llama` backend on a real llama.cpp (node-llama-cpp's prebuilt CPU binary), with a
 * tiny random-weight llama model the suite writes itself: the real loading and generation path, no download.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BranchTask, ChunkKind, type TraceChunk } from "@ttc/proto";
import { EngineError, type GenerationEvent, type GenerationRequest } from "../src/backend.js";
import { writeTinyLlama } from "@ttc/test-harness";
import { LlamaBackend, StopMatcher, type LlamaBackendOptions } from "../src/backends/llama.js";
import { BranchRun } from "../src/branch-runner.js";

type TokensEvent = Extract<GenerationEvent, { type: "tokens" }>;

let dir: string;
let modelPath: string;
let stopperPath: string;
let backend: LlamaBackend;

/** One thread: the CI machine has two cores and runs two test files at once; llama.cpp's spinning threads would fight. */
const base = (overrides: Partial<LlamaBackendOptions> = {}): LlamaBackendOptions => ({
  modelPath,
  sequences: 3,
  contextSize: 256,
  threads: 1,
  temperature: 0.8,
  ...overrides,
});

function request(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  return {
    prompt: "How many marbles are left?",
    systemPrompt: "Think step by step.",
    model: "",
    maxTokens: 24,
    seed: 7,
    answerFormat: "number",
    querySeed: 1,
    branchIndex: 0,
    signal: new AbortController().signal,
    ...overrides,
  };
}

async function collect(b: LlamaBackend, req: GenerationRequest, onEvent?: (e: GenerationEvent, all: GenerationEvent[]) => void) {
  const events: GenerationEvent[] = [];
  for await (const e of b.generate(req)) {
    events.push(e);
    onEvent?.(e, events);
  }
  const tokens = events.filter((e): e is TokensEvent => e.type === "tokens");
  return {
    events,
    tokens,
    count: tokens.reduce((n, e) => n + e.tokens, 0),
    text: tokens.map((e) => e.text).join(""),
    end: events.find((e) => e.type === "end"),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ttc-llama-"));
  modelPath = join(dir, "tiny.gguf");
  stopperPath = join(dir, "stopper.gguf");
  await writeTinyLlama(modelPath, { seed: 1, eos: "never" });
  await writeTinyLlama(stopperPath, { seed: 1, eos: "always" });
  backend = await LlamaBackend.load(base());
});

afterAll(async () => {
  await backend?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("LlamaBackend on a tiny GGUF model", () => {
  it("loads the model into one context with a sequence per parallel branch", () => {
    expect(backend.ready()).toBe(true);
    expect(backend.name).toBe("llama");
    expect(backend.synthetic).toBe(false);
    expect(backend.contextSize).toBeGreaterThanOrEqual(256);
  });

  it("runs three branches as parallel sequences: prompt, tokens with logprobs, then end", async () => {
    const started = performance.now();
    const firstToken: number[] = [];
    const ended: number[] = [];
    const runs = await Promise.all(
      [11, 12, 13].map((seed, i) =>
        collect(backend, request({ seed, branchIndex: i, maxTokens: 40 }), (e, all) => {
          if (e.type === "tokens" && all.filter((x) => x.type === "tokens").length === 1) firstToken[i] = performance.now();
          if (e.type === "end") ended[i] = performance.now();
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    for (const run of runs) {
      expect(run.events[0]).toMatchObject({ type: "prompt" });
      const prompt = run.events[0] as Extract<GenerationEvent, { type: "prompt" }>;
      expect(prompt.promptTokens).toBeGreaterThan(10);
      expect(run.events.at(-1)).toEqual(
        expect.objectContaining({ type: "end", finishReason: "length", promptTokens: prompt.promptTokens }),
      );
      expect(run.count).toBeGreaterThan(0);
      expect(run.count).toBeLessThanOrEqual(40);
      expect(run.count).toBe(40); // this model never says </s>: it runs to maxTokens
      for (const e of run.tokens) {
        expect(e.logprobs).toHaveLength(e.tokens);
        expect(e.topLogprobs).toHaveLength(e.tokens);
        e.topLogprobs!.forEach((top, j) => {
          expect(top.length).toBeGreaterThan(0);
          expect(top.length).toBeLessThanOrEqual(5);
          expect([...top].sort((a, b) => b - a)).toEqual(top);
          expect(top.every((lp) => lp <= 0)).toBe(true);
          expect(e.logprobs![j]!).toBeLessThanOrEqual(top[0]! + 1e-6);
        });
      }
    }
    // In parallel: every branch had its first token before any had finished.
    expect(Math.max(...firstToken)).toBeLessThan(Math.min(...ended));
    // Different seeds, different texts.
    expect(new Set(runs.map((r) => r.text)).size).toBe(3);
    expect(seconds).toBeLessThan(10);
  });

  it("is deterministic for a seed, whether the prompt was cached or not", async () => {
    const seed = 4242;
    const first = await collect(backend, request({ seed, prompt: "A fresh prompt for the cache test." }));
    const second = await collect(backend, request({ seed, prompt: "A fresh prompt for the cache test." }));
    const other = await collect(backend, request({ seed: seed + 1, prompt: "A fresh prompt for the cache test." }));
    expect(second.text).toBe(first.text);
    // The same tokens with the same logprobs, up to float noise (llama.cpp's sums depend on how the batch was cut).
    const lp = (r: typeof first) => r.tokens.flatMap((e) => e.logprobs ?? []);
    expect(lp(second)).toHaveLength(lp(first).length);
    lp(second).forEach((v, i) => expect(v).toBeCloseTo(lp(first)[i]!, 4));
    expect(second.count).toBe(first.count);
    expect(other.text).not.toBe(first.text);
    // The sequence kept the prompt: the second run evaluated only its last token again.
    const prompt = second.events[0] as Extract<GenerationEvent, { type: "prompt" }>;
    expect(prompt.cachedPromptTokens).toBe(prompt.promptTokens - 1);
    expect(second.end).toMatchObject({ cachedPromptTokens: prompt.promptTokens - 1 });
  });

  it("samples greedily at temperature 0, whatever the seed", async () => {
    const greedy = await LlamaBackend.load(base({ temperature: 0, sequences: 1 }));
    try {
      const a = await collect(greedy, request({ seed: 1 }));
      const b = await collect(greedy, request({ seed: 2 }));
      expect(a.count).toBe(24);
      expect(b.text).toBe(a.text);
    } finally {
      await greedy.close();
    }
  });

  it("stops at once when the signal aborts mid-generation, and the sequence serves the next branch", async () => {
    const controller = new AbortController();
    let atAbort = -1;
    const run = await collect(backend, request({ seed: 99, maxTokens: 200, signal: controller.signal }), (e, all) => {
      const count = all.reduce((n, x) => n + (x.type === "tokens" ? x.tokens : 0), 0);
      if (e.type === "tokens" && count >= 5 && atAbort < 0) {
        atAbort = count;
        controller.abort();
      }
    });
    expect(atAbort).toBeGreaterThanOrEqual(5);
    expect(run.count - atAbort).toBe(0);
    expect(run.end).toBeUndefined();

    // Aborted from outside while a token is being decoded: the generator returns without waiting for it.
    const outside = new AbortController();
    let seen = 0;
    const timed = collect(backend, request({ seed: 98, maxTokens: 200, signal: outside.signal }), (e) => {
      if (e.type === "tokens") seen += e.tokens;
    });
    await new Promise<void>((resolve) => {
      const poll = () => (seen >= 3 ? resolve() : setImmediate(poll));
      poll();
    });
    const before = seen;
    outside.abort();
    const stopped = await timed;
    expect(stopped.end).toBeUndefined();
    expect(stopped.count - before).toBeLessThanOrEqual(3);
    expect(stopped.count).toBeLessThan(200);

    // All three sequences are free again: three more branches run to the end at once.
    const after = await Promise.all([1, 2, 3].map((seed) => collect(backend, request({ seed }))));
    expect(after.map((r) => r.end?.type)).toEqual(["end", "end", "end"]);
  });

  it("returns without events when aborted before it starts, or while waiting for a sequence", async () => {
    const aborted = new AbortController();
    aborted.abort();
    expect((await collect(backend, request({ signal: aborted.signal }))).events).toEqual([]);

    // Four branches on three sequences: the fourth waits, and leaves the queue when aborted.
    const holders = [1, 2, 3].map(() => new AbortController());
    const holding = holders.map((c, i) => collect(backend, request({ seed: i, maxTokens: 200, signal: c.signal })));
    const waiter = new AbortController();
    const waiting = collect(backend, request({ signal: waiter.signal }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    waiter.abort();
    expect((await waiting).events).toEqual([]);
    for (const c of holders) c.abort();
    await Promise.all(holding);

    // And a fourth branch that is not aborted gets the first sequence freed.
    const four = await Promise.all([1, 2, 3, 4].map((seed) => collect(backend, request({ seed, maxTokens: 8 }))));
    expect(four.map((r) => r.count)).toEqual([8, 8, 8, 8]);
  });

  it("ends with stop when the model says </s>", async () => {
    const stopper = await LlamaBackend.load(base({ modelPath: stopperPath, sequences: 1 }));
    try {
      const run = await collect(stopper, request());
      expect(run.count).toBe(0);
      expect(run.end).toMatchObject({ type: "end", finishReason: "stop" });
    } finally {
      await stopper.close();
    }
  });

  it("ends with stop at a stop string, leaving it out of the text", async () => {
    const seed = 31;
    const plain = await collect(backend, request({ seed, maxTokens: 40 }));
    // A stop string taken from the middle of what this seed generates.
    const at = Math.floor(plain.text.length / 2);
    const stop = plain.text.slice(at, at + 3);
    const cut = plain.text.indexOf(stop);
    const stopping = await LlamaBackend.load(base({ sequences: 1, stop: [stop] }));
    try {
      const run = await collect(stopping, request({ seed, maxTokens: 40 }));
      expect(run.text).toBe(plain.text.slice(0, cut));
      expect(run.end).toMatchObject({ finishReason: "stop" });
      expect(run.count).toBeLessThan(40);
    } finally {
      await stopping.close();
    }
  });

  it("ends with length when the sequence is full, and refuses a prompt that fills it", async () => {
    const run = await collect(backend, request({ maxTokens: 10_000 }));
    const prompt = run.events[0] as Extract<GenerationEvent, { type: "prompt" }>;
    expect(run.end).toMatchObject({ finishReason: "length" });
    expect(prompt.promptTokens + run.count).toBe(backend.contextSize);
    const overflow = collect(backend, request({ prompt: "x ".repeat(400) }));
    await expect(overflow).rejects.toThrow(/fills the context of \d+ tokens per sequence/);
    await expect(overflow).rejects.toMatchObject({ code: "INVALID_ARGUMENT", retryable: false, httpStatus: undefined });
  });

  it("fails a branch whose prompt is longer than the context with INVALID_ARGUMENT, as vLLM's 400 does", async () => {
    const chunks: TraceChunk[] = [];
    const run = new BranchRun({
      task: BranchTask.fromPartial({ queryId: "q-long", branchIndex: 0, prompt: "x ".repeat(400), seed: 3, maxTokens: 16, chunkTokens: 8 }),
      attempt: 1,
      workerId: "w-llama",
      backend,
      publish: (chunk) => chunks.push(chunk),
      onTokens: () => {},
    });
    const outcome = await run.run();
    expect(outcome).toMatchObject({ kind: "failed", tokens: 0, error: expect.stringMatching(/fills the context of \d+ tokens/) });
    expect(chunks.map((c) => c.kind)).toEqual([ChunkKind.CHUNK_KIND_STARTED, ChunkKind.CHUNK_KIND_FAILED]);
    expect(chunks.at(-1)).toMatchObject({ failureCode: "INVALID_ARGUMENT", tokens: 0 });
    // The sequence is free again for the next branch.
    expect((await collect(backend, request({ maxTokens: 4 }))).count).toBe(4);
  });

  it("uses a chat template when asked", async () => {
    const chat = await LlamaBackend.load(base({ template: "chat", sequences: 1 }));
    try {
      const raw = await collect(backend, request({ maxTokens: 4 }));
      const templated = await collect(chat, request({ maxTokens: 4 }));
      const promptTokens = (r: typeof raw) => (r.events[0] as Extract<GenerationEvent, { type: "prompt" }>).promptTokens;
      expect(promptTokens(templated)).toBeGreaterThan(promptTokens(raw)); // the template's markers
      expect(templated.end).toMatchObject({ type: "end" });
    } finally {
      await chat.close();
    }
  });

  it("is not ready once closed, and generation fails clearly", async () => {
    const b = await LlamaBackend.load(base({ sequences: 1 }));
    await b.close();
    expect(b.ready()).toBe(false);
    const closed = collect(b, request());
    await expect(closed).rejects.toThrow(/closed/);
    await expect(closed).rejects.toMatchObject({ code: "UNAVAILABLE", retryable: false });
  });
});

describe("LlamaBackend load errors", () => {
  it("names a missing file", async () => {
    const missing = LlamaBackend.load(base({ modelPath: join(dir, "missing.gguf") }));
    await expect(missing).rejects.toThrow(/missing\.gguf does not exist/);
    await expect(missing).rejects.toBeInstanceOf(EngineError);
    await expect(missing).rejects.toMatchObject({ code: "FAILED_PRECONDITION", retryable: false });
  });

  it("names a file that is not GGUF", async () => {
    const path = join(dir, "notes.gguf");
    await writeFile(path, "these are notes, not a model ".repeat(4));
    const notGguf = LlamaBackend.load(base({ modelPath: path }));
    await expect(notGguf).rejects.toThrow(/notes\.gguf is not a GGUF file \(it starts with "thes"/);
    await expect(notGguf).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
  });

  it("names a path that is not a file", async () => {
    const directory = LlamaBackend.load(base({ modelPath: dir }));
    await expect(directory).rejects.toThrow(/is not a file$/);
    await expect(directory).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
  });

  it("names a truncated GGUF file", async () => {
    const path = join(dir, "truncated.gguf");
    const full = await readFile(modelPath);
    await writeFile(path, full.subarray(0, Math.floor(full.length * 0.6)));
    await expect(LlamaBackend.load(base({ modelPath: path }))).rejects.toThrow(/truncated\.gguf could not be loaded: .*truncated\?/);
  });

  it("fails generation with the load error, and is never ready", async () => {
    const b = new LlamaBackend(base({ modelPath: join(dir, "missing.gguf") }));
    await expect(b.start()).rejects.toThrow(/does not exist/);
    expect(b.ready()).toBe(false);
    await expect(collect(b, request())).rejects.toThrow(/does not exist/);
    await b.close();
  });
});

describe("StopMatcher", () => {
  it("holds back a possible start of a stop string and cuts at the first one", () => {
    const m = new StopMatcher(["END", "\n\nQ:"]);
    expect(m.feed("abc E")).toEqual({ text: "abc ", stopped: false });
    expect(m.feed("N")).toEqual({ text: "", stopped: false });
    expect(m.feed("X more")).toEqual({ text: "ENX more", stopped: false });
    expect(m.feed("\n\n")).toEqual({ text: "", stopped: false });
    expect(m.feed("Q: next")).toEqual({ text: "", stopped: true });
    const n = new StopMatcher(["END"]);
    expect(n.feed("tail E")).toEqual({ text: "tail ", stopped: false });
    expect(n.flush()).toBe("E");
    expect(new StopMatcher([]).feed("anything")).toEqual({ text: "anything", stopped: false });
  });
});
