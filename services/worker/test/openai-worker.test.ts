import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectNats, createLogger, ensureTaskQueue, wireNames, type WireNames } from "@ttc/common";
import { BranchTask, CancelBranches, ChunkKind, TraceChunk, WorkerHeartbeat } from "@ttc/proto";
import { OpenAIBackend } from "../src/backends/openai.js";
import { createWorkerMetrics } from "../src/metrics.js";
import { Worker } from "../src/worker.js";
import { FakeOpenAI, type NatsFixture, readTranscript, startNats } from "@ttc/test-harness";

const fixture = (name: string) => new URL(`./fixtures/openai/${name}`, import.meta.url);

async function until<T>(probe: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A Worker on the openai backend, over a real nats-server, against the fake engine. */
/** The cancel key of every task the test sends: cancels carrying it are obeyed. */
const cancelKey = randomBytes(16);

describe("worker on the openai backend", () => {
  let nats: NatsFixture;
  let nc: NatsConnection;
  let names: WireNames;
  let fake: FakeOpenAI;
  let backend: OpenAIBackend;
  let worker: Worker;
  const heartbeats: WorkerHeartbeat[] = [];
  let seq = 0;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connectNats(nats.url, "openai-worker-test");
    names = wireNames(`t${randomBytes(4).toString("hex")}`);
    nc.subscribe(names.heartbeatWildcard, { callback: (_e, m) => void heartbeats.push(WorkerHeartbeat.decode(m.data)) });
    fake = await FakeOpenAI.start({ models: readFileSync(fixture("vllm-models.json"), "utf8") });
    await fake.down(); // the engine is still "loading" when the worker starts
    backend = new OpenAIBackend({ baseURL: fake.baseURL, healthIntervalMs: 50, retryBaseMs: 5 });
    await backend.start();
    worker = new Worker(nc, names, backend, createWorkerMetrics(), createLogger("worker", "silent"), {
      workerId: "w-openai",
      capacity: 2,
      heartbeatMs: 100,
      queue: { ackWaitSeconds: 5, maxDeliver: 3, maxAgeSeconds: 600 },
      drainGraceMs: 1000,
      confidenceWindow: 2048,
      limits: { maxTokensPerBranch: 32_768, maxGangSize: 16, maxDeadlineMs: 3_600_000 },
    });
    // The scheduler creates the task queue; here the test does.
    await ensureTaskQueue(nc, names, { ackWaitSeconds: 5, maxDeliver: 3, maxAgeSeconds: 600 });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.drain();
    await nc?.close();
    await fake?.close();
    await nats?.stop();
  });

  async function dispatch(over: Partial<BranchTask> = {}) {
    const queryId = `q${++seq}`;
    const subject = `${names.namespace}.trace.test.${queryId}`;
    const chunks: TraceChunk[] = [];
    nc.subscribe(subject, { callback: (_e, m) => void chunks.push(TraceChunk.decode(m.data)) });
    await nc.flush();
    const task = BranchTask.fromPartial({
      queryId,
      branchIndex: 0,
      prompt: "How many apples?",
      maxTokens: 512,
      seed: seq,
      deadlineUnixMs: Date.now() + 60_000,
      traceSubject: subject,
      chunkTokens: 16,
      chunkKey: randomBytes(16),
      cancelKey,
      ...over,
    });
    await jetstream(nc).publish(names.taskSubject, BranchTask.encode(task).finish());
    return { queryId, chunks };
  }

  it("takes no task while the engine is unreachable, says ready: false, and runs it once the engine answers", async () => {
    await until(() => heartbeats.some((h) => h.workerId === "w-openai" && !h.ready && h.backend === "openai"));
    fake.enqueue({ kind: "stream", events: readTranscript(fixture("vllm-completions-logprobs.sse")) });
    const { chunks } = await dispatch();
    await new Promise((r) => setTimeout(r, 500));
    expect(chunks).toEqual([]);
    expect(fake.generations).toHaveLength(0);

    const before = heartbeats.length;
    await fake.up();
    await until(() => heartbeats.slice(before).some((h) => h.ready));
    const last = await until(() => chunks.find((c) => c.kind === ChunkKind.CHUNK_KIND_FINISHED));
    expect(last).toMatchObject({ tokens: 34, promptTokens: 31, finishReason: "stop", synthetic: false, workerId: "w-openai" });
    expect(last.confidence?.tokens).toBe(34);
    // The model came from the engine's /v1/models; the seed and request id from the task.
    expect(fake.generations[0]!.body).toMatchObject({ model: "Qwen/Qwen2.5-1.5B-Instruct", seed: 1, logprobs: 5 });
    expect(fake.generations[0]!.headers["x-request-id"]).toMatch(/^q1-0-[0-9a-f]{8}$/);
  });

  it("a prune over NATS closes the engine stream at once", async () => {
    fake.enqueue({ kind: "stream", events: readTranscript(fixture("vllm-completions-long.sse")), intervalMs: 10 });
    const { queryId, chunks } = await dispatch();
    await until(() => chunks.some((c) => c.kind === ChunkKind.CHUNK_KIND_PROGRESS));
    const stream = fake.generations.at(-1)!;
    const sent = performance.now();
    nc.publish(
      names.cancelSubject(queryId),
      CancelBranches.encode(
        CancelBranches.create({ queryId, branchIndexes: [0], reason: "pruned by test", prune: true, cancelKey }),
      ).finish(),
    );
    await stream.closed;
    expect(stream.closedAt! - sent).toBeLessThan(250);
    expect(stream.completed).toBe(false);
    const cancelled = await until(() => chunks.find((c) => c.kind === ChunkKind.CHUNK_KIND_CANCELLED));
    expect(cancelled).toMatchObject({ finishReason: "pruned by test", tokensAfterCancel: 0 });
    expect(cancelled.tokens).toBeLessThanOrEqual(stream.eventsSent);
  });
});
