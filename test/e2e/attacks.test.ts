/**
 * Forged messages against a live query, from an attacker who can publish on trace subjects and knows
 * a query id, but holds no task of it (NATS permissions, which keep tasks and chunks from everyone but
 * the scheduler and the worker holding a task, are a later part of issue 9; here the attacker learns
 * the trace subject by listening, and forges without the chunk key, or with another task's key as a
 * worker holding a task of the same query would). Each attack must leave the victim's answer and
 * bill exactly as in an unattacked run with the same seed, and be counted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectNats } from "@ttc/common";
import { CancelBranches, ChunkKind, ExecutionMode, TraceChunk, type SolveResult } from "@ttc/proto";
import { request, scrape, startTestCluster, type TestCluster } from "@ttc/test-harness";

const victim = request({
  prompt: "How many marbles are left in sim puzzle 7?",
  seed: 7,
  maxBranches: 4,
  parallelism: 4,
  mode: ExecutionMode.EXECUTION_MODE_ALL_PARALLEL,
  policy: { name: "majority", params: {} },
  verifier: "none",
});

/** What must not change: the answer, its votes and the compute bill. */
function bill(r: SolveResult) {
  const c = r.compute!;
  return {
    answer: r.answer,
    votes: r.votes,
    generatedTokens: c.generatedTokens,
    wastedTokens: c.wastedTokens,
    branchesLaunched: c.branchesLaunched,
    branches: r.branches.map((b) => ({ index: b.index, status: b.status, tokens: b.tokens, answer: b.answer, attempts: b.attempts })),
  };
}

describe("forged messages against a live query", () => {
  let c: TestCluster;
  let attacker: NatsConnection;
  let baseline: ReturnType<typeof bill>;
  beforeAll(async () => {
    c = await startTestCluster({ workers: 2, capacity: 4, env: { TTC_SIM_TOKENS_PER_SECOND: "400" } });
    attacker = await connectNats(c.cluster.natsUrl, "attacker");
    baseline = bill(await c.client.solve(victim));
  });
  afterAll(async () => {
    await attacker?.close();
    await c?.stop();
  });

  it("are dropped and counted: the victim's answer and bill are those of an unattacked run", async () => {
    const unauthenticated = async () => (await scrape(c.metricsUrl("scheduler"))).get("ttc_scheduler_unauthenticated_chunks_total") ?? 0;
    const before = await unauthenticated();
    let forged = 0;
    const sub = attacker.subscribe(`${c.namespace}.trace.>`, {
      callback: (_e, m) => {
        if (forged > 0) return;
        const real = TraceChunk.decode(m.data);
        const lie = (over: Partial<TraceChunk>) => {
          forged++;
          attacker.publish(
            m.subject,
            TraceChunk.encode(
              TraceChunk.create({
                queryId: real.queryId,
                branchIndex: real.branchIndex,
                workerId: real.workerId,
                attempt: 99,
                seq: 0,
                kind: ChunkKind.CHUNK_KIND_FINISHED,
                text: "The answer is \\boxed{666}.",
                tokens: 2 ** 32 - 1,
                engineSeconds: 4e300,
                finishReason: "stop",
                ...over,
              }),
            ).finish(),
          );
        };
        // A newer attempt, with the answer and bill the attacker wants, and no key.
        lie({});
        // The same with a key of this query's, from the task of another branch (a worker holding one task).
        lie({ branchIndex: (real.branchIndex + 1) % 4, chunkKey: real.chunkKey });
        // A kind the scheduler does not know, which once stalled the query to its deadline.
        lie({ kind: 42 as ChunkKind, attempt: real.attempt });
        // A cancellation report for a branch that was never stopped.
        lie({ kind: ChunkKind.CHUNK_KIND_CANCELLED, attempt: real.attempt, tokens: 1 });
      },
    });
    await attacker.flush();
    const attacked = bill(await c.client.solve(victim));
    sub.unsubscribe();
    expect(forged).toBe(4);
    expect(attacked).toEqual(baseline);
    expect(attacked.answer).not.toBe("666");
    expect((await unauthenticated()) - before).toBe(4);
  });

  it("forged cancels (without the query's key, or with a chunk key in its place) stop nothing", async () => {
    let forged = 0;
    const sub = attacker.subscribe(`${c.namespace}.trace.>`, {
      callback: (_e, m) => {
        if (forged > 0) return;
        const real = TraceChunk.decode(m.data);
        for (const over of [{}, { cancelKey: real.chunkKey }, { branchIndexes: [real.branchIndex], prune: true }]) {
          forged++;
          const cancel = CancelBranches.create({ queryId: real.queryId, branchIndexes: [], reason: "forged", prune: false, ...over });
          attacker.publish(`${c.namespace}.cancel.${real.queryId}`, CancelBranches.encode(cancel).finish());
        }
      },
    });
    await attacker.flush();
    const attacked = bill(await c.client.solve(victim));
    sub.unsubscribe();
    expect(forged).toBe(3);
    expect(attacked).toEqual(baseline);
  });
});
