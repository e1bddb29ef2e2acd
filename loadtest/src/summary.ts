/**
 * The run in figures (pure): outcomes by status, throughput offered against answered, latency
 * quantiles (`quantile` from @ttc/stats: linear interpolation, the evaluator's definition), the
 * compute per query, branches, stop reasons, and the same per request template.
 */
import { mean, quantile } from "@ttc/stats";
import { NO_REPLY, OK, type QueryRecord } from "./recorder.js";

export interface LatencySummary {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadSummary {
  queries: number;
  answered: number;
  /** Every outcome: `OK`, each gRPC status name, `NO_REPLY`. */
  outcomes: Record<string, number>;
  /** The outcomes other than `OK`. */
  errors: Record<string, number>;
  noReply: number;
  /** Answered queries whose consensus was empty (no branch produced an answer). */
  noAnswer: number;
  /** From the start to the last outcome. */
  durationSeconds: number;
  /** How long arrivals were offered. */
  arrivalWindowSeconds: number;
  /** Queries sent per second of the arrival window. */
  offeredPerSecond: number;
  /** Queries answered per second of the whole run. */
  answeredPerSecond: number;
  /** Of answered queries, from scheduled send to answer. */
  latencySeconds: LatencySummary;
  /** Means over answered queries. */
  tokensPerQuery: number;
  wastedTokensPerQuery: number;
  /** Wasted tokens over generated tokens, of answered queries. */
  wasteShare: number;
  branchesPerQuery: number;
  prunedBranchesPerQuery: number;
  verifierCallsPerQuery: number;
  /** Answered queries by branches launched. */
  branchesLaunched: Record<string, number>;
  stopReasons: Record<string, number>;
  queueWaitSeconds: { p50: number; p95: number; max: number };
  /** How late the generator sent queries against their schedule: large values mean the numbers above understate what was asked for. */
  sendLagSeconds: { p99: number; max: number };
  byTemplate: Record<string, TemplateSummary>;
}

export interface TemplateSummary {
  queries: number;
  answered: number;
  errors: Record<string, number>;
  latencySeconds: LatencySummary;
  tokensPerQuery: number;
}

/** The summary of `records` for a run of `durationSeconds` whose arrivals lasted `arrivalWindowSeconds`. */
export function summarize(records: readonly QueryRecord[], durationSeconds: number, arrivalWindowSeconds: number): LoadSummary {
  const ok = records.filter((r) => r.outcome === OK);
  const facts = ok.flatMap((r) => (r.result ? [r.result] : []));
  const outcomes = countBy(records, (r) => r.outcome);
  const errors = Object.fromEntries(Object.entries(outcomes).filter(([k]) => k !== OK));
  const generated = facts.reduce((s, f) => s + f.generatedTokens, 0);
  const wasted = facts.reduce((s, f) => s + f.wastedTokens, 0);
  const waits = facts.map((f) => f.queuedSeconds);
  const lags = records.map((r) => Math.max(0, r.sentSeconds - r.scheduledSeconds));
  const byTemplate: Record<string, TemplateSummary> = {};
  for (const name of new Set(records.map((r) => r.template))) {
    const mine = records.filter((r) => r.template === name);
    const mineOk = mine.filter((r) => r.outcome === OK);
    byTemplate[name] = {
      queries: mine.length,
      answered: mineOk.length,
      errors: countBy(
        mine.filter((r) => r.outcome !== OK),
        (r) => r.outcome,
      ),
      latencySeconds: latencySummary(mineOk.map((r) => r.latencySeconds)),
      tokensPerQuery: mean(mineOk.map((r) => r.result?.generatedTokens ?? 0)),
    };
  }
  return {
    queries: records.length,
    answered: ok.length,
    outcomes,
    errors,
    noReply: outcomes[NO_REPLY] ?? 0,
    noAnswer: facts.filter((f) => !f.answered).length,
    durationSeconds,
    arrivalWindowSeconds,
    offeredPerSecond: arrivalWindowSeconds > 0 ? records.length / arrivalWindowSeconds : 0,
    answeredPerSecond: durationSeconds > 0 ? ok.length / durationSeconds : 0,
    latencySeconds: latencySummary(ok.map((r) => r.latencySeconds)),
    tokensPerQuery: mean(facts.map((f) => f.generatedTokens)),
    wastedTokensPerQuery: mean(facts.map((f) => f.wastedTokens)),
    wasteShare: generated > 0 ? wasted / generated : 0,
    branchesPerQuery: mean(facts.map((f) => f.branchesLaunched)),
    prunedBranchesPerQuery: mean(facts.map((f) => f.branchesPruned)),
    verifierCallsPerQuery: mean(facts.map((f) => f.verifierCalls)),
    branchesLaunched: countBy(facts, (f) => String(f.branchesLaunched)),
    stopReasons: countBy(facts, (f) => f.stopReason),
    queueWaitSeconds: { p50: quantile(waits, 0.5), p95: quantile(waits, 0.95), max: largest(waits) },
    sendLagSeconds: { p99: quantile(lags, 0.99), max: largest(lags) },
    byTemplate,
  };
}

/** p50, p90, p95, p99, max and mean of `values` (all 0 for none). */
export function latencySummary(values: readonly number[]): LatencySummary {
  return {
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p95: quantile(values, 0.95),
    p99: quantile(values, 0.99),
    max: largest(values),
    mean: mean(values),
  };
}

/** The largest value, 0 for none (a reduce: spreading a long array into Math.max overflows the stack). */
function largest(values: readonly number[]): number {
  return values.reduce((m, v) => Math.max(m, v), 0);
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
