/** The importers by name: what `ttc corpus import --from <name>` runs. */
import { validateRecords } from "./schema.js";
import type { CorpusRecord } from "./types.js";
import { importFaithfulCotDate } from "./importers/faithful-cot-date.js";
import { importQwenMathMaj } from "./importers/qwen-math-maj.js";
import { importTotGame24 } from "./importers/tot-game24.js";
import { importTotGame24Values } from "./importers/tot-game24-values.js";

export const importerNames = ["faithful-cot-date", "qwen-math-maj", "tot-game24", "tot-game24-values"] as const;
export type ImporterName = (typeof importerNames)[number];

/** Options of `runImporter`; each importer uses what it needs. */
export interface RunImporterOptions {
  /** The text of the Game of 24 puzzles CSV: required by tot-game24 and tot-game24-values. */
  puzzlesCsv?: string;
  /** Name of the input in error messages (its path). */
  origin?: string;
  /** Name of the puzzles CSV in error messages (its path). */
  puzzlesOrigin?: string;
}

export function isImporterName(name: string): name is ImporterName {
  return (importerNames as readonly string[]).includes(name);
}

const importers: Record<ImporterName, (input: string, options: RunImporterOptions) => CorpusRecord[]> = {
  "faithful-cot-date": importFaithfulCotDate,
  "qwen-math-maj": importQwenMathMaj,
  "tot-game24": importTotGame24,
  "tot-game24-values": importTotGame24Values,
};

/**
 * Run importer `name` on a source file's text. Pure (no I/O); the records it returns have been
 * checked against the corpus schema. Throws on an unknown name, a malformed input (a
 * `CorpusFormatError` naming line or element and field) or a missing puzzles CSV.
 */
export function runImporter(name: string, inputText: string, options: RunImporterOptions = {}): CorpusRecord[] {
  if (!isImporterName(name)) {
    throw new Error(`unknown importer ${JSON.stringify(name)}; known: ${importerNames.join(", ")}`);
  }
  const records = importers[name](inputText, options);
  return validateRecords(records, `${name} output`);
}
