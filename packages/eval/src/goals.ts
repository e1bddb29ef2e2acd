/**
 * The reasoning-core goals, checked on one corpus: one configuration (the same for every corpus)
 * against majority × all-parallel (accuracy, latency) and the sequential adaptive rule (tokens).
 */
import type { CorpusRecord } from "@ttc/corpus";
import { evaluate, type EvalReport, type EvalRow } from "./evaluate.js";
import { parsePolicySpec } from "./spec.js";

export interface GoalCheck {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

export interface GoalReport {
  corpus: string;
  config: string;
  rows: { baseline: EvalRow; sequentialAdaptive: EvalRow; config: EvalRow; configAllParallel: EvalRow };
  checks: GoalCheck[];
  report: EvalReport;
}

export interface GoalOptions {
  /** The configuration under test, as a policy spec (`name[:k=v,...][@verifier]`), run in waves. */
  config: string;
  repeats: number;
  seed: number;
  parallelism: number;
  tokensPerSecond: number;
}

/** Evaluates the configuration and the two references on `records` and checks each goal. */
export async function checkGoals(name: string, records: readonly CorpusRecord[], o: GoalOptions): Promise<GoalReport> {
  const config = parsePolicySpec(o.config, "none");
  const adaptive = parsePolicySpec("adaptive", "none");
  const report = await evaluate(records, {
    specs: [adaptive, config],
    modes: ["all-parallel", "sequential", "waves"],
    repeats: o.repeats,
    seed: o.seed,
    parallelism: o.parallelism,
    tokensPerSecond: o.tokensPerSecond,
  });
  const row = (label: string, mode: string) => report.policies.find((r) => r.policy === label && r.mode === mode)!;
  const baseline = report.policies[0]!;
  const sequentialAdaptive = row("adaptive", "sequential");
  const chosen = row(config.label, "waves");
  const configAllParallel = row(config.label, "all-parallel");
  const checks: GoalCheck[] = [
    {
      goal: "accuracy ≥ majority × all-parallel − 0.5 pt",
      target: `≥ ${(baseline.accuracy - 0.005).toFixed(3)}`,
      measured: chosen.accuracy.toFixed(3),
      met: chosen.accuracy >= baseline.accuracy - 0.005 - 1e-9,
    },
    {
      goal: "tokens/query ≤ adaptive × sequential",
      target: `≤ ${sequentialAdaptive.tokensPerQuery.toFixed(0)}`,
      measured: chosen.tokensPerQuery.toFixed(0),
      met: chosen.tokensPerQuery <= sequentialAdaptive.tokensPerQuery + 1e-9,
    },
    {
      goal: "latency p50 ≤ all-parallel p50",
      target: `≤ ${baseline.latencyP50.toFixed(2)}s`,
      measured: `${chosen.latencyP50.toFixed(2)}s`,
      met: chosen.latencyP50 <= baseline.latencyP50 + 1e-9,
    },
    {
      goal: "latency p95 ≤ 1.5 × all-parallel p95",
      target: `≤ ${(1.5 * baseline.latencyP95).toFixed(2)}s`,
      measured: `${chosen.latencyP95.toFixed(2)}s`,
      met: chosen.latencyP95 <= 1.5 * baseline.latencyP95 + 1e-9,
    },
  ];
  if (records[0]?.format === "game24") {
    // Running all branches with the exact checker solves every puzzle that has a correct trace.
    const solvable = records.filter((r) => r.branches.some((b) => b.correct)).length / records.length;
    const saved = 1 - chosen.tokensPerQuery / baseline.tokensPerQuery;
    checks.push(
      { goal: "Game of 24: tokens saved vs all branches", target: "≥ 75.0%", measured: `${(saved * 100).toFixed(1)}%`, met: saved >= 0.75 },
      {
        goal: "Game of 24: solve rate of running all branches",
        target: `= ${solvable.toFixed(3)}`,
        measured: chosen.accuracy.toFixed(3),
        met: chosen.accuracy >= solvable - 1e-9,
      },
    );
  }
  return { corpus: name, config: o.config, rows: { baseline, sequentialAdaptive, config: chosen, configAllParallel }, checks, report };
}

/** The goals as a text table. */
export function formatGoals(results: readonly GoalReport[]): string {
  const lines = [["corpus", "goal", "target", "measured", "met"]];
  for (const r of results) for (const c of r.checks) lines.push([r.corpus, c.goal, c.target, c.measured, c.met ? "yes" : "NO"]);
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines
    .map((l, j) => l.map((c, i) => c.padEnd(widths[i]!)).join("  ") + (j === 0 ? `\n${widths.map((w) => "-".repeat(w)).join("  ")}` : ""))
    .join("\n");
}
