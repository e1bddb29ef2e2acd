/**
 * `ttc corpus`: turn public trace formats into the ttc corpus format (JSONL) and describe a corpus.
 *
 *   ttc corpus import --from <format> <file> [--puzzles FILE] [--out FILE]
 *   ttc corpus stats <file> [--json] [--json-out FILE]
 */
import { readFile, writeFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { corpusStats, formatCorpus, importerNames, readCorpus, runImporter, type CorpusStats } from "@ttc/corpus";
import { addJsonOutputOptions, emitOutput, type JsonOutputOptions } from "./flags.js";

function share(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function countings(stats: CorpusStats): string {
  const names = Object.keys(stats.tokenCounting);
  return names.length === 0 ? "none" : names.join(", ");
}

/** The one-line summary `ttc corpus import` prints to stderr. */
export function importSummary(stats: CorpusStats): string {
  const labelled = stats.correctShare === null ? "" : `, ${share(stats.correctShare)} of ${stats.labelled} labelled branches correct`;
  return (
    `${stats.records} records, ${stats.branches} branches, ${stats.tokens} tokens ` +
    `(${stats.meanTokensPerBranch.toFixed(1)} per branch; tokenCounting ${countings(stats)})${labelled}`
  );
}

/** What `ttc corpus stats` prints. */
export function formatStats(file: string, stats: CorpusStats): string {
  const b = stats.branchesPerRecord;
  const sources = Object.entries(stats.sources)
    .map(([name, n]) => `${name} (${n})`)
    .join(", ");
  return [
    `corpus:               ${file}`,
    `records:              ${stats.records}  sources: ${sources || "none"}`,
    `branches:             ${stats.branches}  per record: min ${b.min}, mean ${b.mean.toFixed(2)}, max ${b.max}`,
    `tokens:               ${stats.tokens}  mean per branch ${stats.meanTokensPerBranch.toFixed(1)}  (tokenCounting: ${countings(stats)})`,
    `recorded correct:     ${
      stats.correctShare === null
        ? "no branch has a recorded label"
        : `${share(stats.correctShare)} (${stats.labelledCorrect} of ${stats.labelled} labelled branches)`
    }`,
    `with step scores:     ${stats.withStepScores} branches`,
  ].join("\n");
}

async function run(command: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    process.stderr.write(`ttc corpus ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

/** Adds `ttc corpus import` and `ttc corpus stats` to the program. */
export function registerCorpusCommand(program: Command): Command {
  const corpus = program
    .command("corpus")
    .description("recorded-trace corpora: import public trace formats into ttc's JSONL format, describe a corpus");

  corpus
    .command("import")
    .description("convert a public trace file into the ttc corpus format (JSONL to --out or stdout; a summary to stderr)")
    .addOption(new Option("--from <format>", "the source format").choices(importerNames).makeOptionMandatory())
    .argument("<file>", "the source file (read only)")
    .option("--puzzles <file>", "the Game of 24 puzzles CSV (24.csv), needed by tot-game24 and tot-game24-values")
    .option("--out <file>", "write the corpus here instead of stdout")
    .action(async (file: string, o: { from: string; puzzles?: string; out?: string }) =>
      run("import", async () => {
        const input = await readFile(file, "utf8");
        const puzzlesCsv = o.puzzles === undefined ? undefined : await readFile(o.puzzles, "utf8");
        const records = runImporter(o.from, input, {
          origin: file,
          ...(puzzlesCsv === undefined ? {} : { puzzlesCsv }),
          ...(o.puzzles === undefined ? {} : { puzzlesOrigin: o.puzzles }),
        });
        const text = formatCorpus(records);
        if (o.out === undefined) process.stdout.write(text);
        else await writeFile(o.out, text, "utf8");
        process.stderr.write(`${o.from}: ${importSummary(corpusStats(records))}${o.out === undefined ? "" : ` → ${o.out}`}\n`);
      }),
    );

  const stats = corpus
    .command("stats")
    .description("describe a corpus: records, branches per record, tokens per branch, share of recorded-correct branches")
    .argument("<file>", "a corpus file (JSONL)");
  addJsonOutputOptions(stats, "the figures").action(async (file: string, o: JsonOutputOptions) =>
    run("stats", async () => {
      const figures = corpusStats(await readCorpus(file));
      emitOutput(o, figures, () => formatStats(file, figures));
    }),
  );

  return corpus;
}
