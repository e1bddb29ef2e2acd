/**
 * The run second by second, computed from the query records after the run (pure): what was offered,
 * what answered, what failed and how, what was in flight, how long the queries that ended in each
 * second took, and what they cost.
 */
import { quantile } from "@ttc/stats";
import { OK, type QueryRecord } from "./recorder.js";

/** Per-second series; index s covers [s, s + 1) seconds from the start. `null` where no query ended. */
export interface TimeSeries {
  seconds: number[];
  /** Queries scheduled to be sent in the second. */
  offered: number[];
  /** Queries that answered in the second. */
  answered: number[];
  /** Queries that ended in the second without an answer, by outcome (gRPC status name or `NO_REPLY`). */
  errors: Record<string, number[]>;
  /** Queries in flight at the end of the second. */
  inFlight: number[];
  /** Latency quantiles of the queries that answered in the second. */
  latencySeconds: { p50: (number | null)[]; p90: (number | null)[]; p99: (number | null)[] };
  /** Tokens generated, and of them wasted, by the queries that answered in the second. */
  tokens: number[];
  wastedTokens: number[];
  /** Queue wait (until a worker picked up the first branch) of the queries that answered in the second. */
  queueWaitSeconds: { p50: (number | null)[]; p95: (number | null)[] };
}

/** The series of `records` over `durationSeconds` (at least one second). */
export function timeSeries(records: readonly QueryRecord[], durationSeconds: number): TimeSeries {
  const n = Math.max(1, Math.ceil(durationSeconds));
  const bucket = (t: number) => Math.min(n - 1, Math.max(0, Math.floor(t)));
  const zeros = () => new Array<number>(n).fill(0);
  const offered = zeros();
  const answered = zeros();
  const tokens = zeros();
  const wastedTokens = zeros();
  const errors: Record<string, number[]> = {};
  const latencies: number[][] = Array.from({ length: n }, () => []);
  const waits: number[][] = Array.from({ length: n }, () => []);
  // In flight at the end of second s (time s + 1): sent ≤ s + 1 < ended, counted with a difference array.
  const inFlightDelta = new Array<number>(n + 1).fill(0);
  for (const r of records) {
    offered[bucket(r.scheduledSeconds)]!++;
    const end = bucket(r.endedSeconds);
    if (r.outcome === OK) {
      answered[end]!++;
      latencies[end]!.push(r.latencySeconds);
      tokens[end]! += r.result?.generatedTokens ?? 0;
      wastedTokens[end]! += r.result?.wastedTokens ?? 0;
      if (r.result) waits[end]!.push(r.result.queuedSeconds);
    } else {
      (errors[r.outcome] ??= zeros())[end]!++;
    }
    const first = Math.max(0, Math.ceil(r.sentSeconds) - 1);
    const last = Math.min(n, Math.ceil(r.endedSeconds) - 1);
    if (last > first) {
      inFlightDelta[first]!++;
      inFlightDelta[last]!--;
    }
  }
  const inFlight = zeros();
  let running = 0;
  for (let s = 0; s < n; s++) inFlight[s] = running += inFlightDelta[s]!;
  const q = (values: number[][], p: number) => values.map((v) => (v.length === 0 ? null : quantile(v, p)));
  return {
    seconds: Array.from({ length: n }, (_, s) => s),
    offered,
    answered,
    errors,
    inFlight,
    latencySeconds: { p50: q(latencies, 0.5), p90: q(latencies, 0.9), p99: q(latencies, 0.99) },
    tokens,
    wastedTokens,
    queueWaitSeconds: { p50: q(waits, 0.5), p95: q(waits, 0.95) },
  };
}
