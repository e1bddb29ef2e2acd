/**
 * Forged messages against a live query, from an attacker who can publish on trace subjects and knows
 * a query id, but holds no task of it (NATS permissions, which keep tasks and chunks from everyone but
 * the scheduler and the worker holding a task, are a later part of issue 9; here the attacker learns
 * the trace subject by listening, and forges without the chunk key, or with another task's key as a
 * worker holding a task of the same query would). Each attack must leave the victim's answer and
 * bill exactly as in an unattacked run with the same seed, and be counted.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import { createUser } from "@nats-io/nkeys";
import { connectNats, wireNames } from "@ttc/common";
import {
  BranchTask,
  CancelBranches,
  ChunkKind,
  ExecutionMode,
  QueryRecordPage,
  TraceChunk,
  WorkerHeartbeat,
  type SolveResult,
} from "@ttc/proto";
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

/**
 * The same cluster as `ttc up` runs it: a nats-server that admits only the cluster's throw-away
 * credentials, each role with its permissions. The attacker holds a worker's credentials (a stolen
 * worker, the strongest position short of the scheduler's), and every attack the issue lists is tried
 * with them: refused by the server, or dropped and counted by the scheduler. The victim's answer and
 * bill stay those of an unattacked run.
 */
describe("a locked-down cluster, attacked with a worker's credentials", () => {
  let c: TestCluster;
  let attacker: NatsConnection;
  let inspector: NatsConnection;
  let baseline: ReturnType<typeof bill>;
  const verified = { ...victim, verifier: "arith" };
  let verifiedBaseline: ReturnType<typeof bill>;
  beforeAll(async () => {
    c = await startTestCluster({ workers: 2, capacity: 4, lockedDown: true, env: { TTC_SIM_TOKENS_PER_SECOND: "400" } });
    const creds = c.cluster.natsCredentials!;
    attacker = await connectNats(c.cluster.natsUrl, "attacker", { auth: { nkeySeedFile: creds.seedFile("worker", "worker-2") } });
    // The test looks at the stream with the scheduler's rights.
    inspector = await connectNats(c.cluster.natsUrl, "inspector", {
      auth: { nkeySeedFile: creds.seedFile("scheduler") },
      inboxPrefix: wireNames(c.namespace).inboxPrefix("scheduler"),
    });
    baseline = bill(await c.client.solve(victim));
    verifiedBaseline = bill(await c.client.solve(verified));
  });
  afterAll(async () => {
    await attacker?.close();
    await inspector?.close();
    await c?.stop();
  });

  it("refuses a client without credentials, and one with a key it does not know", async () => {
    await expect(connectNats(c.cluster.natsUrl, "stranger")).rejects.toThrow(/Authorization Violation/i);
    const unknownSeed = join(mkdtempSync(join(tmpdir(), "ttc-attack-")), "unknown.nk");
    writeFileSync(unknownSeed, new TextDecoder().decode(createUser().getSeed()));
    await expect(connectNats(c.cluster.natsUrl, "stranger", { auth: { nkeySeedFile: unknownSeed } })).rejects.toThrow(
      /Authorization Violation/i,
    );
  });

  it("a worker cannot read prompts, traces, verify requests or other workers' tasks", async () => {
    const names = wireNames(c.namespace);
    const seen: string[] = [];
    const refused: string[] = [];
    const subjects = [
      ">",
      `${c.namespace}.trace.>`,
      `${c.namespace}.verify.*`,
      names.taskSubject,
      names.queryRecordWildcard,
      "_INBOX.>",
      `${names.inboxPrefix("worker", "worker-1")}.>`,
    ];
    for (const subject of subjects) {
      // NATS answers a subscription the permissions refuse with an error on it.
      attacker.subscribe(subject, { callback: (err, m) => void (err ? refused.push(subject) : seen.push(m.subject)) });
    }
    await attacker.flush().catch(() => {});
    expect(bill(await c.client.solve(verified))).toEqual(verifiedBaseline);
    expect(seen).toEqual([]);
    expect(refused.sort()).toEqual([...subjects].sort());
  });

  it("the victim's query record is written and read back under the scheduler's rights; a worker cannot add to it", async () => {
    const names = wireNames(c.namespace);
    const result = await c.client.solve(victim);
    const record = await c.client.getQuery(result.queryId);
    expect(record.complete).toBe(true);
    const forged = QueryRecordPage.encode({
      entries: [{ atSeconds: 0, entry: { $case: "failed", value: { code: "INTERNAL", message: "forged" } } }],
    }).finish();
    attacker.publish(names.queryRecordSubject(result.queryId), forged);
    await attacker.flush().catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
    expect((await c.client.getQuery(result.queryId)).entries).toEqual(record.entries);
  });

  it("a worker cannot publish tasks or cancels, answer or ask verifiers, mark another worker down, or delete the stream", async () => {
    const names = wireNames(c.namespace);
    const jsm = await jetstreamManager(inspector);
    // Every message the stream ever stored moves its last sequence, even one a worker refused at once.
    const lastSeq = async () => (await jsm.streams.info(names.taskStream)).state.last_seq;
    const before = await lastSeq();
    // A task with no deadline and the largest limits, streaming to the attacker's subject.
    attacker.publish(
      names.taskSubject,
      BranchTask.encode(
        BranchTask.create({ queryId: "evil", prompt: "sim puzzle 1", maxTokens: 2 ** 32 - 1, traceSubject: "evil.sink" }),
      ).finish(),
    );
    await attacker.flush().catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
    expect(await lastSeq()).toBe(before);
    attacker.publish(names.cancelSubject("q"), CancelBranches.encode(CancelBranches.create({ queryId: "q" })).finish());
    // Another worker's heartbeat subject, and its own subject naming another worker.
    const down = WorkerHeartbeat.encode(WorkerHeartbeat.create({ workerId: "worker-1", ready: false, capacity: 4 })).finish();
    attacker.publish(names.heartbeatSubject("worker-1"), down);
    attacker.publish(names.heartbeatSubject("worker-2"), down);
    // A stranger's verify request (on the judge, it would spend the operator's API key) and a rogue responder.
    await expect(attacker.request(names.verifySubject("judge"), new Uint8Array(), { timeout: 500 })).rejects.toThrow();
    attacker.subscribe(names.verifySubject("arith"), {
      queue: names.verifierQueue,
      callback: (err, m) => void (err || m.respond(new Uint8Array([8, 1]))),
    });
    // JetStream's API is closed to a worker: the manager cannot even ask for the account's info, let alone delete.
    await expect(jetstreamManager(attacker, { timeout: 1_000 }).then((jsm) => jsm.streams.delete(names.taskStream))).rejects.toThrow();
    await attacker.flush().catch(() => {});

    expect(bill(await c.client.solve(verified))).toEqual(verifiedBaseline);
    expect(bill(await c.client.solve(victim))).toEqual(baseline);
    const m = await scrape(c.metricsUrl("scheduler"));
    expect(m.get("ttc_scheduler_live_workers")).toBe(2);
  });
});
