/**
 * The per-query state machine: schedules branches by execution mode, feeds progress and finished
 * branches to the policy, and decides when to launch more, prune one, or finish the query.
 */
import {
  defaultExecutionMode,
  type BranchConfidence,
  type BranchView,
  type Consensus,
  type Decision,
  type ExecutionMode,
  type Policy,
  type PolicyContext,
  type Prune,
  type QueryEvent,
  type QueryLimits,
  type StopReasonName,
  type InterruptReason,
} from "./types.js";

/** Drives one query. Pure: events in, decisions out; the scheduler (or the evaluator) performs them. */
export interface QueryController {
  /** The first launch decision. Later calls return []. */
  start(): Decision[];
  /** Applies one event. Events for unknown or ended branches, and any event after finishing, return []. */
  on(event: QueryEvent): Decision[];
  consensus(): Consensus;
  /** True once a "finish" decision was returned. */
  readonly done: boolean;
  readonly launched: number;
  /** Launched and not yet ended. */
  readonly inFlight: number;
  /** Ended: finished, failed or pruned. */
  readonly finished: number;
  /** Sum of the latest cumulative token count of every branch. */
  readonly tokens: number;
  readonly mode: ExecutionMode;
}

const INTERRUPT_DETAIL: Record<InterruptReason, string> = {
  deadline: "the query deadline passed",
  cancelled: "the caller cancelled the query",
  draining: "the scheduler is draining",
  tenant_budget: "the tenant's token budget is spent",
};

interface MutableBranch {
  index: number;
  state: BranchView["state"];
  tokens: number;
  stepScores: readonly number[];
  score: number | undefined;
  confidence: BranchConfidence | undefined;
  answer: string | null | undefined;
  verified: boolean;
}

/**
 * A controller for one query. `finished` events should carry the normalised answer (see `answerKey`).
 * @throws RangeError when the limits are not positive (parallelism above maxBranches is clamped).
 */
export function createQueryController(policy: Policy, limits: QueryLimits): QueryController {
  const { maxBranches, parallelism, tokenBudget } = limits;
  const mode: ExecutionMode = limits.mode ?? defaultExecutionMode;
  if (!Number.isInteger(maxBranches) || maxBranches < 1) {
    throw new RangeError(`maxBranches must be a positive integer, got ${maxBranches}`);
  }
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new RangeError(`parallelism must be a positive integer, got ${parallelism}`);
  }
  if (!(tokenBudget > 0)) throw new RangeError(`tokenBudget must be positive, got ${tokenBudget}`);
  const width = mode === "all-parallel" ? maxBranches : mode === "sequential" ? 1 : Math.min(parallelism, maxBranches);
  const allBranches = maxBranches === 1 ? "the only branch" : `all ${maxBranches} branches`;

  const branches: MutableBranch[] = [];
  let endedCount = 0;
  let tokens = 0;
  let done = false;

  const inFlight = (): number => branches.length - endedCount;
  const context = (): PolicyContext => ({ branches, maxBranches, launched: branches.length, inFlight: inFlight(), ended: endedCount });

  function finish(reason: StopReasonName, detail: string): Decision[] {
    done = true;
    return [{ kind: "finish", reason, detail }];
  }

  /** Launches up to the mode's width; in waves, no more than the policy's demand. */
  function refill(): Decision[] {
    let target = width;
    if (mode === "waves" && policy.demand) {
      const demand = policy.demand(context());
      // A NaN demand would launch nothing, ever; keep the full width instead.
      if (!Number.isNaN(demand)) target = Math.min(width, Math.max(0, Math.ceil(demand)));
    }
    // Never leave the query with nothing in flight while branches remain: it could not progress.
    if (target === 0 && inFlight() === 0) target = 1;
    const launch: number[] = [];
    while (inFlight() < target && branches.length < maxBranches) {
      const index = branches.length;
      branches.push({
        index,
        state: "queued",
        tokens: 0,
        stepScores: [],
        score: undefined,
        confidence: undefined,
        answer: undefined,
        verified: false,
      });
      launch.push(index);
    }
    return launch.length > 0 ? [{ kind: "launch", branches: launch }] : [];
  }

  function setTokens(b: MutableBranch, count: number): void {
    // A malformed count must not poison the total; keep the last good one.
    if (!(count >= 0 && Number.isFinite(count))) return;
    tokens += count - b.tokens;
    b.tokens = count;
  }

  const budgetReached = (): boolean => tokens >= tokenBudget;
  // Mid-branch, a budget met exactly is not yet overrun: the chunk that meets it may be the branch's
  // last, and its answer (which arrives with the end) must still count.
  const budgetOverrun = (): boolean => tokens > tokenBudget;
  const budgetFinish = (): Decision[] => finish("token_budget", `token budget of ${tokenBudget} reached (${tokens} generated)`);

  function end(b: MutableBranch, state: "finished" | "pruned" | "failed"): void {
    b.state = state;
    endedCount++;
    // A branch that ends without finishing still counts as ended for the policy, without a vote.
    if (state !== "finished") policy.vote(b.index, null, undefined, b);
  }

  /** After branches ended: stop if the policy is satisfied or the budget spent, else refill. */
  function afterEnd(): Decision[] {
    const verdict = policy.settled({ finished: endedCount, maxBranches });
    const remaining = inFlight() > 0 || branches.length < maxBranches;
    if (verdict.settled) return finish(remaining ? "consensus" : "all_branches_done", verdict.detail);
    if (budgetReached()) return budgetFinish();
    if (!remaining) return finish("all_branches_done", `${allBranches} ended; ${verdict.detail}`);
    return refill();
  }

  /** Applies the policy's prunes of running branches after `changed` moved. */
  function review(changed: MutableBranch): Decision[] {
    if (!policy.review) return [];
    const out: Decision[] = [];
    for (const p of policy.review(changed, context()) as Prune[]) {
      const b = branches[p.branch];
      if (!b || b.state === "finished" || b.state === "pruned" || b.state === "failed") continue;
      end(b, "pruned");
      out.push({ kind: "prune", branch: p.branch, reason: p.reason });
    }
    return out;
  }

  function live(branch: number): MutableBranch | undefined {
    const b = Number.isInteger(branch) ? branches[branch] : undefined;
    return b && (b.state === "queued" || b.state === "running") ? b : undefined;
  }

  function on(event: QueryEvent): Decision[] {
    if (done) return [];
    if (event.kind === "interrupt") return finish(event.reason, INTERRUPT_DETAIL[event.reason]);
    const b = live(event.branch);
    if (!b) return [];
    switch (event.kind) {
      case "started":
        b.state = "running";
        return [];
      case "progress": {
        b.state = "running";
        setTokens(b, event.tokens);
        if (event.score !== undefined) b.score = event.score;
        if (event.stepScores) b.stepScores = event.stepScores;
        if (event.confidence) b.confidence = event.confidence;
        if (event.reject !== undefined) {
          end(b, "pruned");
          // Finishing cancels every branch anyway, so a prune alongside it would be redundant.
          if (budgetReached()) return budgetFinish();
          return [{ kind: "prune", branch: b.index, reason: event.reject }, ...afterEnd()];
        }
        if (budgetOverrun()) return budgetFinish();
        const prunes = review(b);
        return prunes.length > 0 ? [...prunes, ...afterEnd()] : [];
      }
      case "finished": {
        setTokens(b, event.tokens);
        if (event.score !== undefined) b.score = event.score;
        if (event.confidence) b.confidence = event.confidence;
        b.answer = event.answer;
        b.verified = event.verified ?? false;
        end(b, "finished");
        policy.vote(b.index, event.answer, event.score, b);
        const prunes = review(b);
        return [...prunes, ...afterEnd()];
      }
      case "failed":
        setTokens(b, event.tokens);
        end(b, "failed");
        return afterEnd();
    }
  }

  return {
    start: () => (done || branches.length > 0 ? [] : refill()),
    on,
    consensus: () => policy.consensus(),
    mode,
    get done() {
      return done;
    },
    get launched() {
      return branches.length;
    },
    get inFlight() {
      return inFlight();
    },
    get finished() {
      return endedCount;
    },
    get tokens() {
      return tokens;
    },
  };
}
