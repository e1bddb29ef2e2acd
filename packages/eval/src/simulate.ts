/**
 * One query replayed in virtual time: the virtual-time adapter of the scheduler's `QueryEngine`. The
 * recorded branches of a problem, in a seeded order, decode at an emulated speed and reach the engine
 * as the replay worker would send them: a started chunk at launch, a chunk at every step boundary, a
 * finished chunk with the last step, and a cancelled chunk with the tokens decoding had reached when
 * a branch is stopped. Verify calls are answered at once with the verifier's judgement of the prefix.
 */
import { verifyResponse } from "@ttc/common";
import { replayOrder } from "@ttc/corpus";
import { answerFormatFromLabel, ChunkKind, stopReasonLabel, TraceChunk, type SolveResult } from "@ttc/proto";
import { createVerifier, type Decision, type ExecutionMode, type Policy } from "@ttc/policy";
import { QueryEngine, type QueryEffect, type QueryInput } from "@ttc/query";
import { ArrivalQueue } from "./arrival-queue.js";
import type { PreparedProblem } from "./prepare.js";

export interface SimulationOptions {
  policy: Policy;
  /** Verifier consulted on every chunk (when it judges partial traces) and on every finished branch; "none" for none. */
  verifier: string;
  mode: ExecutionMode;
  /** Wave width (waves mode). */
  parallelism: number;
  /** Branches the query may launch; at most the recorded branches. */
  maxBranches: number;
  /** Emulated decode speed of every branch, tokens per second. */
  tokensPerSecond: number;
  /** Replay order seed (the query seed). */
  seed: number;
  /** Which recorded branch each launched index replays; default: a seeded order (`replayOrder`). A recorded query replays its own order. */
  order?: readonly number[];
  /**
   * Timing measured when the branches were recorded, instead of one emulated speed: each recorded
   * branch's seconds per token, and the delay from a launch to its first tokens.
   */
  timing?: { secondsPerToken: readonly number[]; pickupSeconds: number };
}

export interface QueryOutcome {
  answer: string | null;
  correct: boolean;
  /** Tokens generated across branches, including pruned and cancelled ones. */
  tokens: number;
  /** Virtual seconds from the query's start to its decision. */
  latency: number;
  verifierCalls: number;
  branchesLaunched: number;
  branchesPruned: number;
  stopReason: string;
  /** Decisions in order, for comparing runs (launches, prunes and the finish). */
  decisions: Decision[];
}

/** A launched branch as the emulated worker sees it. */
interface Replaying {
  recorded: number;
  start: number;
  alive: boolean;
  /** Steps sent so far (what a verify call judges). */
  steps: number;
  seq: number;
}

/** The query's token budget in a replay: twice everything recorded, so it never binds before the policy. */
export function replayTokenBudget(problem: PreparedProblem): number {
  return Math.max(1, 2 * problem.branches.reduce((s, b) => s + b.tokens, 0));
}

const QUERY_ID = "replay";

/** Replays one query to its answer. Deterministic in its inputs. */
export function simulateQuery(problem: PreparedProblem, o: SimulationOptions): QueryOutcome {
  const n = problem.branches.length;
  const order = o.order ?? replayOrder(n, o.seed);
  const speed = o.tokensPerSecond;
  /** Seconds recorded branch `recorded` takes to decode `tokens`. */
  const decode = (recorded: number, tokens: number) => (o.timing ? tokens * o.timing.secondsPerToken[recorded]! : tokens / speed);
  /** Tokens it decodes in `seconds`. */
  const decoded = (recorded: number, seconds: number) => (o.timing ? seconds / o.timing.secondsPerToken[recorded]! : seconds * speed);
  const pickup = o.timing?.pickupSeconds ?? 0;
  const engine = new QueryEngine({
    queryId: QUERY_ID,
    prompt: problem.record.problem,
    answerFormat: problem.format,
    answerFormatEnum: answerFormatFromLabel(problem.format)!,
    policy: o.policy,
    limits: { maxBranches: Math.min(o.maxBranches, n), parallelism: o.parallelism, tokenBudget: replayTokenBudget(problem), mode: o.mode },
    // A replay's chunks are its own records, read in this process: nothing to distrust.
    maxTokensPerBranch: Infinity,
    verifier: o.verifier,
    partialVerification: o.verifier !== "none" && createVerifier(o.verifier).partial,
    seed: o.seed,
    gangSize: 1,
    cancelSettleMs: 0,
    deadlineAt: Infinity,
    readAnswer: problem.answerOf,
  });
  const arrivals = new ArrivalQueue();
  /** Inputs caused by effects, delivered at the same virtual moment, in order. */
  const immediate: QueryInput[] = [];
  const replaying: Replaying[] = [];
  let now = 0;
  let latency: number | null = null;
  let result: SolveResult | null = null;

  const chunk = (branch: number, kind: ChunkKind, text: string, tokens: number, finishReason = ""): QueryInput => ({
    kind: "chunk",
    at: now * 1000,
    chunk: TraceChunk.create({
      queryId: QUERY_ID,
      branchIndex: branch,
      workerId: "replay",
      attempt: 1,
      seq: replaying[branch]!.seq++,
      kind,
      text,
      tokens,
      finishReason,
    }),
  });

  /** Tokens a branch's decoding has reached at the current moment. */
  const tokensNow = (r: Replaying): number =>
    Math.min(problem.branches[r.recorded]!.tokens, Math.max(0, Math.round(decoded(r.recorded, now - r.start))));

  const perform = (effects: QueryEffect[]): void => {
    for (const e of effects) {
      if (e.kind === "dispatch") {
        for (const b of e.branches) {
          const recorded = order[b]!;
          replaying[b] = { recorded, start: now + pickup, alive: true, steps: 0, seq: 0 };
          immediate.push(chunk(b, ChunkKind.CHUNK_KIND_STARTED, "", 0));
          const cum = problem.branches[recorded]!.cumulative;
          arrivals.push({ time: cum.length === 0 ? now + pickup : now + pickup + decode(recorded, cum[0]!), branch: b, step: 0 });
        }
      } else if (e.kind === "cancel") {
        const targets = e.branches.length > 0 ? e.branches : replaying.keys();
        for (const b of targets) {
          const r = replaying[b];
          if (!r?.alive) continue;
          r.alive = false;
          immediate.push(chunk(b, ChunkKind.CHUNK_KIND_CANCELLED, "", tokensNow(r), e.reason));
        }
      } else if (e.kind === "verify") {
        const r = replaying[e.request.branchIndex]!;
        const steps = e.request.final ? problem.branches[r.recorded]!.steps.length : r.steps;
        const v = problem.verify(o.verifier, r.recorded, steps, e.request.final);
        immediate.push({ kind: "verdict", at: now * 1000, id: e.id, response: verifyResponse(v) });
      } else if (e.kind === "arm") {
        if (Number.isFinite(e.at)) arrivals.push({ time: e.at / 1000, timer: e.timer });
      } else if (e.kind === "done") {
        result = e.result;
      }
    }
  };

  const deliver = (input: QueryInput): void => {
    immediate.push(input);
    while (immediate.length > 0 && !engine.done) {
      perform(engine.on(immediate.shift()!));
      if (latency === null && engine.decided) latency = now;
    }
  };

  perform(engine.start(0));
  while (!engine.done) {
    if (immediate.length > 0) {
      deliver(immediate.shift()!);
      continue;
    }
    const a = arrivals.pop();
    if (!a) break;
    if (a.timer) {
      now = a.time;
      deliver({ kind: "timer", at: now * 1000, timer: a.timer });
      continue;
    }
    const r = replaying[a.branch]!;
    if (!r.alive) continue;
    now = a.time;
    const branch = problem.branches[r.recorded]!;
    const stepsDone = a.step + 1;
    r.steps = Math.min(stepsDone, branch.steps.length);
    const text = branch.steps[a.step] ?? "";
    if (stepsDone < branch.steps.length) {
      arrivals.push({ time: r.start + decode(r.recorded, branch.cumulative[stepsDone]!), branch: a.branch, step: stepsDone });
      deliver(chunk(a.branch, ChunkKind.CHUNK_KIND_PROGRESS, text, branch.cumulative[a.step] ?? 0));
    } else {
      r.alive = false;
      deliver(chunk(a.branch, ChunkKind.CHUNK_KIND_FINISHED, text, branch.tokens, "stop"));
    }
  }
  const final = result as SolveResult | null;
  if (!final) throw new Error(`replay of problem ${problem.record.id} ended without an answer (a bug in the engine or this adapter)`);
  const answer = engine.consensus().leader;
  const compute = final.compute!;
  return {
    answer,
    correct: problem.isCorrect(answer),
    tokens: compute.generatedTokens,
    latency: latency ?? now,
    verifierCalls: compute.verifierCalls,
    branchesLaunched: compute.branchesLaunched,
    branchesPruned: compute.branchesPruned,
    stopReason: stopReasonLabel(final.stopReason),
    decisions: [...engine.decisions],
  };
}
