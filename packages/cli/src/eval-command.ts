/**
 * `ttc eval`: accuracy versus compute of the policies on a recorded corpus, in process (virtual time)
 * or through a running cluster with replay workers.
 */
import { addConnectionFlags, connectionOptions } from "./connection-flags.js";
import { readFileSync, writeFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { importerNames, parseCorpus, runImporter, type CorpusRecord } from "@ttc/corpus";
import { engineVerifierNames, executionModes, verifierNames } from "@ttc/policy";
import { clusterRunner, evaluate, formatTable, parseModes, parsePolicySpec, renderHtml, virtualRunner, type EvalOptions } from "@ttc/eval";
import { addJsonOutputOptions, emitOutput, numberFlag } from "./flags.js";

/**
 * The default comparison: the classics, each policy with the verifier its paper uses, and ttc's
 * recommended configuration (adaptive stopping that also stops on an exactly verified answer).
 */
export const defaultPolicies = [
  "majority",
  "weighted@recorded",
  "best-of-n@recorded",
  "adaptive",
  "esc",
  "deepconf",
  "prm-beam@recorded",
  "spec-reject@recorded",
  "first-verified@rule",
  "adaptive:stopOnVerified=1@rule",
].join(" ");

/** Loads a corpus: a file in the corpus format, or a source file converted on the fly by `--from`. */
export function loadCorpus(path: string, from: string | undefined, puzzles: string | undefined): CorpusRecord[] {
  const text = readFileSync(path, "utf8");
  if (!from) return parseCorpus(text, path);
  return runImporter(from, text, {
    origin: path,
    ...(puzzles ? { puzzlesCsv: readFileSync(puzzles, "utf8"), puzzlesOrigin: puzzles } : {}),
  });
}

function progressBar(done: number, total: number, label: string): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(
    `\r\x1b[2K[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${((done / total) * 100).toFixed(0).padStart(3)}%  ${label}`,
  );
  if (done === total) process.stderr.write("\r\x1b[2K");
}

/** Adds `ttc eval` to the program. */
export function registerEvalCommand(program: Command): void {
  const command = program
    .command("eval")
    .description("replay a recorded corpus under policies × execution modes and report accuracy, tokens and latency")
    .requiredOption("--corpus <file>", "corpus file (ttc corpus format, or a source format with --from)")
    .addOption(new Option("--from <format>", "import the corpus on the fly from this source format").choices(importerNames))
    .option("--puzzles <file>", "Game of 24 puzzles CSV (for the tot-game24 formats)")
    .option("--policies <list>", "space- or semicolon-separated specs name[:param=value,...][@verifier]", defaultPolicies)
    .option("--modes <list>", `comma-separated execution modes: ${executionModes.join(", ")}`, "all-parallel,sequential,waves")
    .option("--repeats <n>", "seeded replay orders per problem", numberFlag({ integer: true, min: 1 }), 10)
    .option("--seed <n>", "seed of the replay orders", numberFlag({ integer: true, min: 0 }), 1)
    .option("--parallelism <n>", "wave width in waves mode", numberFlag({ integer: true, min: 1 }), 8)
    .option("--tokens-per-second <n>", "emulated decode speed per branch (virtual time)", numberFlag({ min: 0, minExclusive: true }), 50)
    .addOption(new Option("--verifier <name>", "verifier for specs that name none").choices(verifierNames).default("none"))
    .option("--cluster <addr>", "run every query through the scheduler at this address (replay workers must serve the same corpus)")
    .option("--concurrency <n>", "queries in flight at once with --cluster", numberFlag({ integer: true, min: 1 }), 4)
    .option("--chart <file>", "write the accuracy–tokens frontier as a self-contained HTML page");
  addConnectionFlags(command);
  addJsonOutputOptions(command, "every figure").action(async (o) => {
    const records = loadCorpus(o.corpus, o.from, o.puzzles);
    const specs = String(o.policies)
      .split(/[\s;]+/)
      .filter(Boolean)
      .map((s) => parsePolicySpec(s, o.verifier));
    const engineBound = specs.filter((s) => (engineVerifierNames as readonly string[]).includes(s.verifier));
    if (!o.cluster && engineBound.length > 0) {
      throw new Error(
        `${engineBound.map((s) => s.label).join(", ")}: the ${engineBound[0]!.verifier} verifier needs an engine; run with --cluster`,
      );
    }
    const options: EvalOptions = {
      specs,
      modes: parseModes(o.modes),
      repeats: o.repeats,
      seed: o.seed,
      parallelism: o.parallelism,
      tokensPerSecond: o.tokensPerSecond,
      runner: o.cluster ? "cluster" : "virtual",
      onProgress: progressBar,
    };
    const cluster = o.cluster
      ? clusterRunner(o.cluster, { parallelism: o.parallelism, timeoutMs: 300_000, connection: connectionOptions(o) })
      : null;
    try {
      const report = await evaluate(records, options, cluster ? cluster.run : virtualRunner(options), cluster ? o.concurrency : 1);
      emitOutput(o, { corpusFile: o.corpus, ...report }, () => formatTable(report));
      if (o.chart) writeFileSync(o.chart, renderHtml(report, `ttc eval: ${o.corpus}`));
    } finally {
      cluster?.close();
    }
  });
}
