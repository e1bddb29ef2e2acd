/**
 * Runs the selected goals, each `runs` times one after another (never two at once: they would share
 * the cores they measure), and summarises every figure over the runs.
 */
import { adaptiveGoal } from "./goal-adaptive.js";
import { cancelLatencyGoal } from "./goal-cancel-latency.js";
import { fairnessGoal } from "./goal-fairness.js";
import { faultsGoal } from "./goal-faults.js";
import { recordCostGoal } from "./goal-record-cost.js";
import { soakGoal } from "./goal-soak.js";
import { chunkThroughputGoal } from "./goal-chunk-throughput.js";
import { overheadGoal } from "./goal-overhead.js";
import { scaleGoal } from "./goal-scale.js";
import { summarise, type BenchGoal, type Figure, type FigureSummary, type GoalRun } from "./goal.js";

/** Every goal: issue 8's five in its order, issue 9's fairness between tenants, issue 10's faults. */
export const benchGoals: readonly BenchGoal[] = [
  overheadGoal,
  chunkThroughputGoal,
  cancelLatencyGoal,
  scaleGoal,
  adaptiveGoal,
  fairnessGoal,
  faultsGoal,
  soakGoal,
  recordCostGoal,
];

export interface BenchOptions {
  goals: readonly number[];
  runs: number;
  quick: boolean;
  log(message: string): void;
}

export interface GoalReport {
  goal: number;
  title: string;
  method: string;
  figures: (Figure & FigureSummary)[];
  runs: GoalRun[];
  /** Why the goal could not be measured, when it could not. */
  error?: string;
  seconds: number;
}

export interface BenchReport {
  startedAt: string;
  quick: boolean;
  runs: number;
  goals: GoalReport[];
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const reports: GoalReport[] = [];
  for (const goal of benchGoals.filter((g) => o.goals.includes(g.goal))) {
    const started = performance.now();
    const runs: GoalRun[] = [];
    let error: string | undefined;
    for (let run = 1; run <= o.runs && error === undefined; run++) {
      o.log(`goal ${goal.goal} (${goal.title}): run ${run} of ${o.runs}`);
      try {
        runs.push(await goal.run({ quick: o.quick, log: o.log }));
      } catch (err) {
        error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        o.log(`goal ${goal.goal} failed: ${error}`);
      }
    }
    reports.push({
      goal: goal.goal,
      title: goal.title,
      method: goal.method,
      figures: goal.figures.map((f) => ({ ...f, ...summarise(f, runs) })),
      runs,
      ...(error !== undefined ? { error } : {}),
      seconds: (performance.now() - started) / 1000,
    });
  }
  return { startedAt, quick: o.quick, runs: o.runs, goals: reports };
}
