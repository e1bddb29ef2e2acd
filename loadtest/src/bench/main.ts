#!/usr/bin/env node
/**
 * `npm run bench`: measures the system goals (issue 8) on this machine and prints one table, goal /
 * figure / measured (min / median / max over the runs) / target / met, and writes every figure and
 * every run as JSON. A benchmark measures; it never fails on a missed target (only on a goal that
 * could not run). Progress goes to stderr, the table to stdout.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { benchGoals, runBench, type BenchReport } from "./run-bench.js";
import { formatReport } from "./report-table.js";

const defaultJsonOut = resolve(dirname(fileURLToPath(import.meta.url)), "../../reports/bench.json");

function goalList(value: string): number[] {
  const known = benchGoals.map((g) => g.goal);
  const goals = value.split(",").map((s) => Number(s.trim()));
  const unknown = goals.filter((g) => !known.includes(g));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown goal(s) ${unknown.join(", ")}; known: ${known.join(", ")}`);
  return goals;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number ≥ 1");
  return n;
}

const o = new Command("ttc-bench")
  .description("benchmarks of the system goals: prints a table and writes JSON")
  .option(
    "--goal <list>",
    "goals to run, comma-separated (default: all but the on-demand soak, goal 8)",
    goalList,
    benchGoals.filter((g) => !g.onDemand).map((g) => g.goal),
  )
  .option("--runs <n>", "runs of each goal (min / median / max are reported)", positiveInteger, 3)
  .option("--quick", "a short smoke version of each goal (same code paths, figures not meant to be judged)", false)
  .option("--json-out <file>", "where to write the JSON report", defaultJsonOut)
  .parse()
  .opts<{ goal: number[]; runs: number; quick: boolean; jsonOut: string }>();

const report: BenchReport = await runBench({
  goals: o.goal,
  runs: o.runs,
  quick: o.quick,
  log: (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`),
});
const written = {
  ...report,
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "", node: process.version, loadavg: loadavg() },
};
mkdirSync(dirname(o.jsonOut), { recursive: true });
writeFileSync(o.jsonOut, `${JSON.stringify(written, null, 2)}\n`);
console.log(formatReport(report));
console.log(`\nreport written to ${o.jsonOut}`);
if (report.goals.some((g) => g.error)) process.exitCode = 1;
