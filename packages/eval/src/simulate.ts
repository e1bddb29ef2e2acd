/**
 * One query replayed in virtual time: the recorded branches of a problem, in a seeded order, decode
 * at an emulated speed and reach the same pure controller and policy the scheduler runs. Chunks arrive
 * at step boundaries, as the replay worker sends them; a pruned or cancelled branch has generated
 * exactly the tokens its decoding reached by then.
 */
import { replayOrder } from "@ttc/corpus";
import { createQueryController, createVerifier, type Decision, type ExecutionMode, type Policy, type QueryEvent } from "@ttc/policy";
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

interface Running {
  recorded: number;
  start: number;
  alive: boolean;
}

interface Arrival {
  time: number;
  seq: number;
  branch: number;
  step: number;
}

/** A binary heap of chunk arrivals ordered by time, then by scheduling order (deterministic ties). */
class ArrivalQueue {
  private readonly heap: Arrival[] = [];
  private seq = 0;

  push(time: number, branch: number, step: number): void {
    const h = this.heap;
    h.push({ time, seq: this.seq++, branch, step });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): Arrival | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Arrival, b: Arrival): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** The query's token budget in a replay: twice everything recorded, so it never binds before the policy. */
export function replayTokenBudget(problem: PreparedProblem): number {
  return Math.max(1, 2 * problem.branches.reduce((s, b) => s + b.tokens, 0));
}

/** Replays one query to its decision. Deterministic in its inputs. */
export function simulateQuery(problem: PreparedProblem, o: SimulationOptions): QueryOutcome {
  const n = problem.branches.length;
  const maxBranches = Math.min(o.maxBranches, n);
  const order = replayOrder(n, o.seed);
  const controller = createQueryController(o.policy, {
    maxBranches,
    parallelism: o.parallelism,
    tokenBudget: replayTokenBudget(problem),
    mode: o.mode,
  });
  const queue = new ArrivalQueue();
  const running: Running[] = [];
  const decisions: Decision[] = [];
  const generated = new Map<number, number>();
  let now = 0;
  let verifierCalls = 0;
  let pruned = 0;
  // A holder, not a `let`: the finish decision sets it inside `apply`, where the loop's narrowing cannot see.
  const stop: { reason: string | null } = { reason: null };
  const speed = o.tokensPerSecond;
  const partial = o.verifier !== "none" && createVerifier(o.verifier).partial;

  const tokensAt = (b: number, t: number): number => {
    const r = running[b]!;
    const total = problem.branches[r.recorded]!.tokens;
    return Math.min(total, Math.round((t - r.start) * speed));
  };

  const apply = (ds: Decision[]): void => {
    for (const d of ds) {
      decisions.push(d);
      if (d.kind === "launch") {
        for (const b of d.branches) {
          const recorded = order[b]!;
          running[b] = { recorded, start: now, alive: true };
          const cum = problem.branches[recorded]!.cumulative;
          if (cum.length === 0) queue.push(now, b, 0);
          else queue.push(now + cum[0]! / speed, b, 0);
        }
      } else if (d.kind === "prune") {
        const r = running[d.branch];
        if (r?.alive) {
          r.alive = false;
          generated.set(d.branch, tokensAt(d.branch, now));
        }
        pruned++;
      } else {
        stop.reason = d.reason;
        for (const [b, r] of running.entries()) {
          if (r?.alive) {
            r.alive = false;
            generated.set(b, tokensAt(b, now));
          }
        }
      }
    }
  };

  apply(controller.start());
  while (stop.reason === null) {
    const a = queue.pop();
    if (!a) break;
    const r = running[a.branch]!;
    if (!r.alive) continue;
    now = a.time;
    const branch = problem.branches[r.recorded]!;
    const stepsDone = a.step + 1;
    const last = stepsDone >= branch.steps.length;
    const tokens = branch.cumulative[a.step] ?? 0;
    let event: QueryEvent;
    if (!last) {
      queue.push(r.start + branch.cumulative[stepsDone]! / speed, a.branch, stepsDone);
      event = { kind: "progress", branch: a.branch, tokens };
      if (partial) {
        verifierCalls++;
        const v = problem.verify(o.verifier, r.recorded, stepsDone, false);
        event = {
          ...event,
          score: v.score,
          stepScores: v.stepScores,
          ...(v.reject ? { reject: `verifier ${o.verifier}: ${v.reason}` } : {}),
        };
      }
    } else {
      r.alive = false;
      generated.set(a.branch, branch.tokens);
      event = { kind: "finished", branch: a.branch, answer: branch.answer, tokens: branch.tokens };
      if (o.verifier !== "none") {
        verifierCalls++;
        const v = problem.verify(o.verifier, r.recorded, branch.steps.length, true);
        event = v.reject
          ? {
              kind: "progress",
              branch: a.branch,
              tokens: branch.tokens,
              score: v.score,
              stepScores: v.stepScores,
              reject: `verifier ${o.verifier}: ${v.reason}`,
            }
          : { ...event, score: v.score, verified: v.verified };
      }
    }
    apply(controller.on(event));
  }
  const answer = controller.consensus().leader;
  let tokens = 0;
  for (const t of generated.values()) tokens += t;
  return {
    answer,
    correct: problem.isCorrect(answer),
    tokens,
    latency: now,
    verifierCalls,
    branchesLaunched: controller.launched,
    branchesPruned: pruned,
    stopReason: stop.reason ?? "all_branches_done",
    decisions,
  };
}
