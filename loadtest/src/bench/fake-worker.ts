/**
 * A worker that does no work: it pulls branch tasks from the cluster's JetStream work queue like a
 * real worker, and answers each at once with STARTED, `progressChunks` one-token PROGRESS chunks and a
 * FINISHED chunk that carries an answer. One such connection feeds a scheduler far more chunks than a
 * fleet of sim workers could on a 2-core machine, and the scheduler cannot tell the difference: these
 * are the real messages on the real subjects.
 */
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { jetstream, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { BranchTask, ChunkKind, TraceChunk, WorkerHeartbeat } from "@ttc/proto";
import { connectNats, wireNames } from "@ttc/common";

export interface FakeWorker {
  /** PROGRESS chunks per branch from now on. */
  progressChunks: number;
  /** Chunks published so far. */
  readonly chunksSent: number;
  stop(): Promise<void>;
}

const workerId = "bench-fake-worker";
/** Tasks the consumer may hold at once: enough that the queue never waits for this worker. */
const pullBatch = 256;

export async function startFakeWorker(natsUrl: string, namespace: string, progressChunks: number): Promise<FakeWorker> {
  const nc = await connectNats(natsUrl, `ttc-${workerId}`);
  const names = wireNames(namespace);
  // The scheduler refuses queries while it hears no ready worker.
  const heartbeat = () =>
    nc.publish(
      names.heartbeatSubject(workerId),
      WorkerHeartbeat.encode({ workerId, backend: "bench", capacity: 100_000, active: 0, ready: true, sentUnixMs: Date.now() }).finish(),
    );
  heartbeat();
  const heartbeats = setInterval(heartbeat, 200);
  const consumer = await jetstream(nc).consumers.get(names.taskStream, names.taskConsumer);
  const messages = await consumer.consume({ max_messages: pullBatch });
  const state = { progressChunks, chunksSent: 0 };
  const answering = answerTasks(nc, messages, state);
  await nc.flush();
  return {
    get progressChunks() {
      return state.progressChunks;
    },
    set progressChunks(n: number) {
      state.progressChunks = n;
    },
    get chunksSent() {
      return state.chunksSent;
    },
    async stop() {
      clearInterval(heartbeats);
      await messages.close();
      await answering;
      await nc.drain();
    },
  };
}

async function answerTasks(nc: NatsConnection, messages: ConsumerMessages, state: { progressChunks: number; chunksSent: number }) {
  for await (const msg of messages) {
    state.chunksSent += answer(nc, msg, state.progressChunks);
    msg.ack();
    // Let heartbeats, acks and the socket's writes through between tasks.
    await yieldToLoop();
  }
}

/** Streams one task's chunks to its trace subject; returns how many. One branch per task (the scheduler's default gang size of 1). */
function answer(nc: NatsConnection, msg: JsMsg, progressChunks: number): number {
  const task = BranchTask.decode(msg.data);
  const base = TraceChunk.create({
    queryId: task.queryId,
    branchIndex: task.branchIndex,
    workerId,
    attempt: msg.info.deliveryCount,
    synthetic: true,
    chunkKey: task.chunkKey,
  });
  let seq = 0;
  const send = (kind: ChunkKind, text: string, tokens: number, finishReason = "") =>
    nc.publish(task.traceSubject, TraceChunk.encode({ ...base, seq: seq++, kind, text, tokens, finishReason }).finish());
  send(ChunkKind.CHUNK_KIND_STARTED, "", 0);
  for (let i = 1; i <= progressChunks; i++) send(ChunkKind.CHUNK_KIND_PROGRESS, " 1", i);
  send(ChunkKind.CHUNK_KIND_FINISHED, "\nThe answer is 42.", progressChunks + 5, "stop");
  return seq;
}
