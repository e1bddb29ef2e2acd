/**
 * `ttc goals`: the reasoning-core benchmark. Imports each recorded corpus found in a data directory,
 * runs one configuration (the same for all) and the references, and prints which goals are met.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { checkGoals, formatGoals, type GoalReport } from "@ttc/eval";
import { loadCorpus } from "./eval-command.js";
import { addJsonOutputOptions, emitOutput, numberFlag } from "./flags.js";

/** The multi-sample corpora the goals are measured on, by their file names in the data directory. */
const corpora = [
  { name: "date (faithful-cot, N=40)", file: "faithful-cot-date-n40.jsonl", from: "faithful-cot-date" },
  { name: "math (qwen2.5, N=8)", file: "qwen25-math-cot-maj8.jsonl", from: "qwen-math-maj" },
  { name: "game24 (gpt-4 cot, N=100)", file: "tot-game24-gpt4-cot-n100.json", from: "tot-game24", puzzles: "tot-game24-puzzles.csv" },
];

/** ttc's recommended configuration: one for every corpus. */
export const recommendedConfig = "adaptive:stopOnVerified=1@rule";

/** Adds `ttc goals` to the program. */
export function registerGoalsCommand(program: Command): void {
  const command = program
    .command("goals")
    .description("benchmark: check the accuracy / tokens / latency goals on every recorded corpus in a directory")
    .requiredOption("--data <dir>", "directory with the recorded corpora (their public file names)")
    .option("--config <spec>", "configuration under test, run in waves", recommendedConfig)
    .option("--repeats <n>", "seeded replay orders per problem", numberFlag({ integer: true, min: 1 }), 20)
    .option("--seed <n>", "seed of the replay orders", numberFlag({ integer: true, min: 0 }), 1)
    .option("--parallelism <n>", "wave width", numberFlag({ integer: true, min: 1 }), 8)
    .option("--tokens-per-second <n>", "emulated decode speed per branch", numberFlag({ min: 0, minExclusive: true }), 50);
  addJsonOutputOptions(command, "every figure").action(async (o) => {
    const results: GoalReport[] = [];
    for (const c of corpora) {
      const path = join(o.data, c.file);
      if (!existsSync(path)) {
        console.error(`skipping ${c.name}: ${path} not found`);
        continue;
      }
      const records = loadCorpus(path, c.from, c.puzzles ? join(o.data, c.puzzles) : undefined);
      process.stderr.write(`${c.name}: ${records.length} problems…\n`);
      results.push(
        await checkGoals(c.name, records, {
          config: o.config,
          repeats: o.repeats,
          seed: o.seed,
          parallelism: o.parallelism,
          tokensPerSecond: o.tokensPerSecond,
        }),
      );
    }
    emitOutput(
      o,
      results.map(({ report, ...rest }) => ({ ...rest, policies: report.policies })),
      () => formatGoalsText(results, o),
    );
  });
}

/** What `ttc goals` prints: the settings, the goals table, and each corpus's reference rows. */
function formatGoalsText(
  results: GoalReport[],
  o: { config: string; parallelism: number; repeats: number; seed: number; tokensPerSecond: number },
): string {
  const lines = [
    `configuration: ${o.config} in waves of up to ${o.parallelism}; ${o.repeats} replay orders per problem, seed ${o.seed}; ${o.tokensPerSecond} tokens/s emulated\n`,
    formatGoals(results),
  ];
  for (const r of results) {
    const b = r.rows.baseline;
    const c = r.rows.config;
    lines.push(
      `\n${r.corpus}: majority×all-parallel acc ${b.accuracy.toFixed(3)}, ${b.tokensPerQuery.toFixed(0)} tok, p50 ${b.latencyP50.toFixed(2)}s, p95 ${b.latencyP95.toFixed(2)}s | ` +
        `adaptive×sequential ${r.rows.sequentialAdaptive.tokensPerQuery.toFixed(0)} tok | config×waves acc ${c.accuracy.toFixed(3)}, ${c.tokensPerQuery.toFixed(0)} tok, p50 ${c.latencyP50.toFixed(2)}s, p95 ${c.latencyP95.toFixed(2)}s`,
    );
  }
  return lines.join("\n");
}
