/**
 * The per-query state machine: keeps a wave of branches in flight, feeds finished branches to the
 * policy, and decides when to launch more, prune one, or finish the query.
 */
import type { Consensus, Decision, Policy, QueryEvent, QueryLimits, StopReasonName } from "./types.js";

/** Drives one query. Pure: events in, decisions out; the scheduler performs them. */
export interface QueryController {
  /** The first wave: launches branches 0..parallelism-1 in one "launch" decision. Later calls return []. */
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
}

const INTERRUPT_DETAIL: Record<"deadline" | "cancelled" | "draining", string> = {
  deadline: "the query deadline passed",
  cancelled: "the caller cancelled the query",
  draining: "the scheduler is draining",
};

/**
 * A controller for one query. `finished` events should carry the normalised answer (see `answerKey`),
 * since the policy groups answers by string equality.
 * @throws RangeError when the limits are not positive (parallelism above maxBranches is clamped).
 */
export function createQueryController(policy: Policy, limits: QueryLimits): QueryController {
  const { maxBranches, parallelism, tokenBudget } = limits;
  if (!Number.isInteger(maxBranches) || maxBranches < 1) {
    throw new RangeError(`maxBranches must be a positive integer, got ${maxBranches}`);
  }
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new RangeError(`parallelism must be a positive integer, got ${parallelism}`);
  }
  if (!(tokenBudget > 0)) throw new RangeError(`tokenBudget must be positive, got ${tokenBudget}`);
  const wave = Math.min(parallelism, maxBranches);
  const allBranches = maxBranches === 1 ? "the only branch" : `all ${maxBranches} branches`;

  // Indexed by branch; a branch exists once launched, i.e. for indexes below `launched`.
  const branchTokens: number[] = [];
  const ended: boolean[] = [];
  let launched = 0;
  let endedCount = 0;
  let tokens = 0;
  let done = false;

  const inFlight = (): number => launched - endedCount;

  function finish(reason: StopReasonName, detail: string): Decision[] {
    done = true;
    return [{ kind: "finish", reason, detail }];
  }

  function launchUpTo(width: number): Decision[] {
    const branches: number[] = [];
    while (inFlight() < width && launched < maxBranches) {
      branches.push(launched);
      branchTokens.push(0);
      ended.push(false);
      launched++;
    }
    return branches.length > 0 ? [{ kind: "launch", branches }] : [];
  }

  function setTokens(branch: number, count: number): void {
    // A malformed count must not poison the total; keep the last good one.
    if (!(count >= 0 && Number.isFinite(count))) return;
    tokens += count - branchTokens[branch]!;
    branchTokens[branch] = count;
  }

  function budgetReached(): boolean {
    return tokens >= tokenBudget;
  }

  function budgetFinish(): Decision[] {
    return finish("token_budget", `token budget of ${tokenBudget} reached (${tokens} generated)`);
  }

  function end(branch: number): void {
    ended[branch] = true;
    endedCount++;
  }

  /** After a branch ended: stop if the policy is satisfied or the budget spent, else refill the wave. */
  function afterEnd(): Decision[] {
    const verdict = policy.settled({ finished: endedCount, maxBranches });
    const remaining = inFlight() > 0 || launched < maxBranches;
    if (verdict.settled) return finish(remaining ? "consensus" : "all_branches_done", verdict.detail);
    if (budgetReached()) return budgetFinish();
    if (!remaining) return finish("all_branches_done", `${allBranches} ended; ${verdict.detail}`);
    return launchUpTo(wave);
  }

  function isLive(branch: number): boolean {
    return Number.isInteger(branch) && branch >= 0 && branch < launched && !ended[branch];
  }

  function on(event: QueryEvent): Decision[] {
    if (done) return [];
    if (event.kind === "interrupt") return finish(event.reason, INTERRUPT_DETAIL[event.reason]);
    if (!isLive(event.branch)) return [];
    switch (event.kind) {
      case "started":
        return [];
      case "progress": {
        setTokens(event.branch, event.tokens);
        if (event.reject === undefined) return budgetReached() ? budgetFinish() : [];
        end(event.branch);
        // Finishing cancels every branch anyway, so a prune alongside it would be redundant.
        if (budgetReached()) return budgetFinish();
        return [{ kind: "prune", branch: event.branch, reason: event.reject }, ...afterEnd()];
      }
      case "finished":
        setTokens(event.branch, event.tokens);
        end(event.branch);
        policy.vote(event.branch, event.answer, event.score);
        return afterEnd();
      case "failed":
        setTokens(event.branch, event.tokens);
        end(event.branch);
        return afterEnd();
    }
  }

  return {
    start: () => (done || launched > 0 ? [] : launchUpTo(wave)),
    on,
    consensus: () => policy.consensus(),
    get done() {
      return done;
    },
    get launched() {
      return launched;
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
