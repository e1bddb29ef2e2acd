import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { spawnService, type ServiceProcess } from "@ttc/cli";
import { connectNats, ensureTaskQueue, wireNames, type WireNames } from "@ttc/common";
import { BranchTask, CancelBranches, ChunkKind, TraceChunk } from "@ttc/proto";
import { type NatsFixture, scrape, startNats } from "@ttc/test-harness";

const queue = { ackWaitSeconds: 1, maxDeliver: 5, maxAgeSeconds: 600 };

/** A worker process driven directly over NATS by the test, acting as the scheduler. */
/** The cancel key of every task the test sends: cancels carrying it are obeyed. */
const cancelKey = randomBytes(16);

describe("worker over NATS", () => {
  let nats: NatsFixture;
  let nc: NatsConnection;
  let names: WireNames;
  const workers: ServiceProcess[] = [];
  const logDir = mkdtempSync(join(tmpdir(), "ttc-worker-test-"));
  let seq = 0;

  async function startWorker(id: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const w = await spawnService(
      id,
      "@ttc/worker",
      {
        TTC_NATS_URL: nats.url,
        TTC_NAMESPACE: names.namespace,
        TTC_WORKER_ID: id,
        TTC_METRICS_PORT: "0",
        TTC_ACK_WAIT_SECONDS: String(queue.ackWaitSeconds),
        TTC_SIM_TOKENS_PER_SECOND: "500",
        TTC_SIM_MEAN_TOKENS: "3000",
        ...env,
      },
      createWriteStream(join(logDir, `${id}.log`)),
    );
    workers.push(w);
    return w;
  }

  /** Publishes a cancel of the query as a scheduler would (with the tasks' cancel key, unless `over` says otherwise). */
  function sendCancel(queryId: string, over: Partial<CancelBranches> = {}): void {
    nc.publish(names.cancelSubject(queryId), CancelBranches.encode(CancelBranches.create({ queryId, cancelKey, ...over })).finish());
  }

  /** Publishes one task and collects the chunks that come back for it. */
  async function dispatch(over: Partial<BranchTask> = {}) {
    const queryId = `q${++seq}`;
    const subject = `${names.namespace}.trace.test.${queryId}`;
    const chunks: TraceChunk[] = [];
    const sub = nc.subscribe(subject, {
      callback: (_e, m) => {
        chunks.push(TraceChunk.decode(m.data));
      },
    });
    await nc.flush();
    const task: BranchTask = {
      queryId,
      branchIndex: 0,
      prompt: "worker test",
      systemPrompt: "",
      model: "",
      maxTokens: 30_000,
      seed: seq,
      answerFormat: 0,
      deadlineUnixMs: Date.now() + 60_000,
      traceSubject: subject,
      chunkTokens: 16,
      querySeed: seq,
      gangBranchIndexes: [],
      gangSeeds: [],
      chunkKey: randomBytes(16),
      cancelKey,
      attemptOffset: 0,
      ...over,
    };
    await jetstream(nc).publish(names.taskSubject, BranchTask.encode(task).finish());
    return { queryId, chunks, sub };
  }

  async function until<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error("timed out waiting");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    nats = await startNats();
    names = wireNames(`w${Date.now().toString(36)}`);
    nc = await connectNats(nats.url, "worker-test");
    await ensureTaskQueue(nc, names, queue);
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    await nc?.close();
    await nats?.stop();
  });

  it("stops within a bounded number of tokens after a cancel", async () => {
    const w = await startWorker("cancel-worker", { TTC_WORKER_CAPACITY: "1" });
    const { queryId, chunks } = await dispatch();
    await until(() => (chunks.filter((c) => c.kind === ChunkKind.CHUNK_KIND_PROGRESS).length >= 3 ? true : undefined));
    const tokensWhenCancelled = chunks.at(-1)!.tokens;
    sendCancel(queryId, { branchIndexes: [0], reason: "test prune", prune: true });
    const final = await until(() => chunks.find((c) => c.kind === ChunkKind.CHUNK_KIND_CANCELLED));
    expect(final.finishReason).toBe("test prune");
    // The worker's own count: not one token after the cancel reached it.
    expect(final.tokensAfterCancel).toBe(0);
    // Seen from outside: at 500 tokens/s, what was generated between our last view and the stop is
    // one chunk (16 tokens) plus a round trip — far below the 3000-token branch.
    expect(final.tokens - tokensWhenCancelled).toBeLessThan(16 + 100);
    expect(chunks.some((c) => c.kind === ChunkKind.CHUNK_KIND_FINISHED)).toBe(false);
    const m = await scrape(String(w.ready["metricsUrl"]));
    expect(m.get("ttc_worker_cancels_obeyed_total")).toBe(1);
    expect(m.get("ttc_worker_tokens_after_cancel_sum")).toBe(0);
    w.child.kill("SIGTERM");
  });

  it("pulls only as many tasks as its capacity; the rest wait in the queue", async () => {
    const w = await startWorker("capacity-worker", { TTC_WORKER_CAPACITY: "2" });
    const tasks = await Promise.all([1, 2, 3, 4, 5].map(() => dispatch()));
    await until(() => (tasks.filter((t) => t.chunks.length > 0).length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    expect(tasks.filter((t) => t.chunks.length > 0)).toHaveLength(2);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.consumers.info(names.taskStream, names.taskConsumer);
    expect(info.num_pending).toBe(3);
    // Freeing a slot lets exactly one more in.
    const running = tasks.find((t) => t.chunks.length > 0)!;
    sendCancel(running.queryId, { branchIndexes: [], reason: "done", prune: false });
    await until(() => (tasks.filter((t) => t.chunks.length > 0).length === 3 ? true : undefined));
    for (const t of tasks) sendCancel(t.queryId, { branchIndexes: [], reason: "cleanup", prune: false });
    await until(async () => ((await scrape(String(w.ready["metricsUrl"]))).get("ttc_worker_active_branches") === 0 ? true : undefined));
    w.child.kill("SIGTERM");
  });

  it("drops malformed messages and expired tasks, counts them, and keeps working", async () => {
    const w = await startWorker("robust-worker", { TTC_WORKER_CAPACITY: "2", TTC_SIM_MEAN_TOKENS: "60", TTC_SIM_TOKENS_PER_SECOND: "0" });
    await jetstream(nc).publish(names.taskSubject, new Uint8Array([0xff, 0xff, 0xff, 0x01]));
    nc.publish(names.cancelSubject("x"), new Uint8Array([0x0a, 0xff]));
    const expired = await dispatch({ deadlineUnixMs: Date.now() - 1000 });
    const good = await dispatch();
    const done = await until(() => good.chunks.find((c) => c.kind === ChunkKind.CHUNK_KIND_FINISHED));
    expect(done.tokens).toBeGreaterThan(0);
    expect(done.synthetic).toBe(true);
    expect(expired.chunks).toHaveLength(0);
    const m = await until(async () => {
      const s = await scrape(String(w.ready["metricsUrl"]));
      return (s.get('ttc_worker_tasks_dropped_total{reason="expired"}') ?? 0) >= 1 ? s : undefined;
    });
    expect(m.get('ttc_worker_malformed_messages_total{kind="task"}')).toBe(1);
    expect(m.get('ttc_worker_malformed_messages_total{kind="cancel"}')).toBe(1);
    expect(w.child.exitCode).toBeNull();
    w.child.kill("SIGTERM");
  });

  it("refuses forged tasks (a sink outside the trace namespace, no deadline, no chunk key, over its limits) and keeps serving real ones", async () => {
    const w = await startWorker("wary-worker", { TTC_WORKER_CAPACITY: "2", TTC_SIM_MEAN_TOKENS: "60", TTC_SIM_TOKENS_PER_SECOND: "0" });
    const sink: TraceChunk[] = [];
    const sub = nc.subscribe("evil.sink", { callback: (_e, m) => void sink.push(TraceChunk.decode(m.data)) });
    await nc.flush();
    const forged = [
      await dispatch({ traceSubject: "evil.sink" }),
      await dispatch({ traceSubject: `${names.namespace}.trace.>` }),
      await dispatch({ deadlineUnixMs: 0 }),
      await dispatch({ chunkKey: Buffer.alloc(0) }),
      await dispatch({ maxTokens: 2 ** 32 - 1 }),
      await dispatch({
        gangBranchIndexes: Array.from({ length: 1000 }, (_, i) => i),
        gangSeeds: Array.from({ length: 1000 }, (_, i) => i),
      }),
    ];
    const good = await dispatch();
    await until(() => good.chunks.find((c) => c.kind === ChunkKind.CHUNK_KIND_FINISHED));
    const m = await until(async () => {
      const s = await scrape(String(w.ready["metricsUrl"]));
      return (s.get('ttc_worker_tasks_dropped_total{reason="refused"}') ?? 0) >= forged.length ? s : undefined;
    });
    expect(m.get('ttc_worker_tasks_dropped_total{reason="refused"}')).toBe(forged.length);
    expect(sink).toHaveLength(0);
    for (const f of forged) expect(f.chunks).toHaveLength(0);
    sub.unsubscribe();
    w.child.kill("SIGTERM");
  });

  it("a task it drops is gone from the stream at once, on this nats-server too: nothing awaits an ack, nothing comes back", async () => {
    const w = await startWorker("tidy-worker", { TTC_WORKER_CAPACITY: "4", TTC_SIM_TOKENS_PER_SECOND: "0" });
    const dropped = async () => {
      const s = await scrape(String(w.ready["metricsUrl"]));
      return (
        (s.get('ttc_worker_tasks_dropped_total{reason="refused"}') ?? 0) + (s.get('ttc_worker_tasks_dropped_total{reason="expired"}') ?? 0)
      );
    };
    await dispatch({ traceSubject: "evil.sink" });
    await dispatch({ deadlineUnixMs: Date.now() - 1_000 });
    await dispatch({ maxTokens: 2 ** 32 - 1 });
    await until(async () => ((await dropped()) >= 3 ? true : undefined));
    const jsm = await jetstreamManager(nc);
    const consumer = await until(async () => {
      const info = await jsm.consumers.info(names.taskStream, names.taskConsumer);
      return info.num_pending === 0 && info.num_ack_pending === 0 ? info : undefined;
    }, 1_000);
    expect(consumer.num_redelivered).toBe(0);
    // Past the ack wait (1 s here): a task that was not terminated would be back, and refused again.
    await new Promise((r) => setTimeout(r, 2 * queue.ackWaitSeconds * 1000));
    expect((await jsm.consumers.info(names.taskStream, names.taskConsumer)).num_redelivered).toBe(0);
    expect(await dropped()).toBe(3);
    expect((await jsm.streams.info(names.taskStream)).state.messages).toBe(0);
    w.child.kill("SIGTERM");
  });

  it("ignores a cancel without its query's key, and reports a queued branch a keyed cancel dropped", async () => {
    await (await jetstreamManager(nc)).streams.purge(names.taskStream);
    const w = await startWorker("cancel-worker", {
      TTC_WORKER_CAPACITY: "1",
      TTC_SIM_MEAN_TOKENS: "600",
      TTC_SIM_LENGTH_SIGMA: "0",
      TTC_SIM_TOKENS_PER_SECOND: "600",
    });
    const running = await dispatch();
    await until(() => running.chunks.find((c) => c.kind === ChunkKind.CHUNK_KIND_PROGRESS));
    const cancel = (queryId: string, key?: Buffer) => sendCancel(queryId, { reason: "stop", cancelKey: key ?? Buffer.alloc(0) });
    cancel(running.queryId);
    cancel(running.queryId, randomBytes(16));
    const queuedKey = randomBytes(16);
    const queued = await dispatch({ chunkKey: queuedKey });
    cancel(queued.queryId, cancelKey);
    const finished = await until(() => running.chunks.find((c) => c.kind === ChunkKind.CHUNK_KIND_FINISHED));
    expect(finished.tokens).toBe(600);
    const dropped = await until(() => queued.chunks.find((c) => c.kind === ChunkKind.CHUNK_KIND_CANCELLED));
    expect(queued.chunks).toHaveLength(1);
    expect(dropped.finishReason).toBe("cancelled before it started");
    expect(Buffer.from(dropped.chunkKey).equals(queuedKey)).toBe(true);
    w.child.kill("SIGTERM");
  });

  it("copies its task's chunk key into every chunk", async () => {
    const w = await startWorker("keyed-worker", { TTC_WORKER_CAPACITY: "1", TTC_SIM_MEAN_TOKENS: "60", TTC_SIM_TOKENS_PER_SECOND: "0" });
    const chunkKey = randomBytes(16);
    const run = await dispatch({ chunkKey });
    await until(() => run.chunks.find((c) => c.kind === ChunkKind.CHUNK_KIND_FINISHED));
    expect(run.chunks.length).toBeGreaterThan(2);
    for (const c of run.chunks) expect(Buffer.from(c.chunkKey).equals(chunkKey)).toBe(true);
    w.child.kill("SIGTERM");
  });

  it("runs a gang of sibling branches side by side, each streamed and prunable on its own", async () => {
    // Tasks left queued by earlier tests would take the slots the gang needs: start from an empty queue.
    await (await jetstreamManager(nc)).streams.purge(names.taskStream);
    // Every branch exactly 600 tokens at 300 tokens/s: two seconds each, so all three overlap.
    const w = await startWorker("gang-worker", {
      TTC_WORKER_CAPACITY: "4",
      TTC_SIM_MEAN_TOKENS: "600",
      TTC_SIM_LENGTH_SIGMA: "0",
      TTC_SIM_TOKENS_PER_SECOND: "300",
    });
    try {
      const t = await dispatch({ branchIndex: 0, gangBranchIndexes: [0, 1, 2], gangSeeds: [11, 12, 13] });
      // All three start before any finishes: one task, three concurrent streams.
      await until(() =>
        new Set(t.chunks.filter((c) => c.kind === ChunkKind.CHUNK_KIND_PROGRESS).map((c) => c.branchIndex)).size === 3 ? true : undefined,
      );
      expect(t.chunks.some((c) => c.kind === ChunkKind.CHUNK_KIND_FINISHED)).toBe(false);
      sendCancel(t.queryId, { branchIndexes: [1], reason: "pruned sibling", prune: true });
      const finals = await until(() => {
        const ends = t.chunks.filter((c) => c.kind === ChunkKind.CHUNK_KIND_FINISHED || c.kind === ChunkKind.CHUNK_KIND_CANCELLED);
        return ends.length === 3 ? ends : undefined;
      }, 20_000);
      const byBranch = new Map(finals.map((c) => [c.branchIndex, c]));
      expect(byBranch.get(1)!.kind).toBe(ChunkKind.CHUNK_KIND_CANCELLED);
      expect(byBranch.get(0)!.kind).toBe(ChunkKind.CHUNK_KIND_FINISHED);
      expect(byBranch.get(2)!.kind).toBe(ChunkKind.CHUNK_KIND_FINISHED);
      // Each sibling used its own seed: different traces.
      const text = (b: number) =>
        t.chunks
          .filter((c) => c.branchIndex === b)
          .map((c) => c.text)
          .join("");
      expect(text(0)).not.toBe(text(2));
      // The gang's one message was acknowledged once every sibling ended.
      const jsm = await jetstreamManager(nc);
      await until(async () => ((await jsm.consumers.info(names.taskStream, names.taskConsumer)).num_ack_pending === 0 ? true : undefined));
    } finally {
      w.child.kill("SIGTERM");
      await new Promise<void>((r) => (w.child.exitCode !== null ? r() : w.child.once("exit", () => r())));
    }
  });

  it("on SIGTERM hands unfinished tasks back to the queue for another worker", async () => {
    const first = await startWorker("draining-worker", { TTC_WORKER_CAPACITY: "1", TTC_DRAIN_GRACE_MS: "200" });
    const t = await dispatch();
    await until(() => (t.chunks.some((c) => c.kind === ChunkKind.CHUNK_KIND_PROGRESS) ? true : undefined));
    first.child.kill("SIGTERM");
    await new Promise<void>((r) => first.child.once("exit", () => r()));
    await startWorker("second-worker", { TTC_WORKER_CAPACITY: "1" });
    const restarted = await until(() => t.chunks.find((c) => c.kind === ChunkKind.CHUNK_KIND_STARTED && c.workerId === "second-worker"));
    // At least the second delivery (a pull request left by an earlier worker can take one more).
    expect(restarted.attempt).toBeGreaterThanOrEqual(2);
    expect(t.chunks.some((c) => c.workerId === "draining-worker")).toBe(true);
    // Handed back, not finished or cancelled: the first worker sent no final chunk.
    expect(
      t.chunks.filter(
        (c) => c.workerId === "draining-worker" && c.kind !== ChunkKind.CHUNK_KIND_PROGRESS && c.kind !== ChunkKind.CHUNK_KIND_STARTED,
      ),
    ).toHaveLength(0);
    sendCancel(t.queryId, { branchIndexes: [], reason: "cleanup", prune: false });
  });
});
