/** @ttc/corpus: the recorded-trace corpus format, its reader/writer, token counting, steps and importers. */
export type { CorpusAnswerFormat, CorpusBranch, CorpusRecord, TokenCounting } from "./types.js";
export { CorpusFormatError, formatCorpus, parseCorpus, readCorpus, writeCorpus } from "./schema.js";
export { countTokens } from "./tokens.js";
export { stepTokens } from "./steps.js";
export { corpusStats, type CorpusStats } from "./stats.js";
export { replayedBranch, replayOrder } from "./replay-order.js";
export { importerNames, isImporterName, runImporter, type ImporterName, type RunImporterOptions } from "./importers.js";
