/**
 * The key figures of a run, defined once for every place that shows them: the text summary, the
 * HTML report's table and `compare`.
 */
import type { LoadResults } from "./runner.js";

export type Unit = "count" | "rate" | "seconds" | "tokens" | "share" | "cores" | "bytes" | "number";

export interface Figure {
  /** The table section: "outcomes", "throughput", "latency", "compute", "stop reasons", or a service's name. */
  group: string;
  label: string;
  value: number;
  unit: Unit;
}

/** The figures of `r`, in the order the tables show them. */
export function keyFigures(r: LoadResults): Figure[] {
  const s = r.summary;
  const out: Figure[] = [];
  const add = (group: string, label: string, value: number, unit: Unit) => out.push({ group, label, value, unit });
  add("outcomes", "queries", s.queries, "count");
  add("outcomes", "answered (OK)", s.answered, "count");
  for (const [name, n] of Object.entries(s.errors).sort()) add("outcomes", name, n, "count");
  add("outcomes", "answered without an answer", s.noAnswer, "count");
  add("throughput", "offered (queries/s)", s.offeredPerSecond, "rate");
  add("throughput", "answered (queries/s)", s.answeredPerSecond, "rate");
  add("throughput", "duration", s.durationSeconds, "seconds");
  add("throughput", "generator send lag max", s.sendLagSeconds.max, "seconds");
  for (const q of ["p50", "p90", "p95", "p99", "max"] as const) add("latency", q, s.latencySeconds[q], "seconds");
  add("latency", "queue wait p50", s.queueWaitSeconds.p50, "seconds");
  add("latency", "queue wait p95", s.queueWaitSeconds.p95, "seconds");
  add("compute", "tokens / query", s.tokensPerQuery, "tokens");
  add("compute", "wasted tokens / query", s.wastedTokensPerQuery, "tokens");
  add("compute", "waste share", s.wasteShare, "share");
  add("compute", "branches / query", s.branchesPerQuery, "number");
  add("compute", "pruned branches / query", s.prunedBranchesPerQuery, "number");
  add("compute", "verifier calls / query", s.verifierCallsPerQuery, "number");
  for (const [reason, n] of Object.entries(s.stopReasons).sort()) add("stop reasons", reason, n, "count");
  for (const [name, v] of Object.entries(s.services)) {
    add(name, "CPU mean (cores)", v.cpuCoresMean, "cores");
    add(name, "CPU max (cores)", v.cpuCoresMax, "cores");
    add(name, "resident memory max", v.residentBytesMax, "bytes");
    add(name, "event-loop delay p99 max", v.eventLoopLagP99MaxSeconds, "seconds");
  }
  return out;
}

/** A figure's value as the tables print it. */
export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case "count":
      return String(value);
    case "rate":
      return value.toFixed(2);
    case "seconds":
      return value < 1 ? `${(value * 1000).toFixed(1)} ms` : `${value.toFixed(3)} s`;
    case "tokens":
      return value.toFixed(0);
    case "share":
      return `${(value * 100).toFixed(1)}%`;
    case "cores":
      return value.toFixed(3);
    case "bytes":
      return `${(value / 2 ** 20).toFixed(1)} MiB`;
    case "number":
      return value.toFixed(2);
  }
}
