/** The results document on disk: written after a run, read back by `compare` and `report`. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { LoadResults } from "./runner.js";

/** Writes `results` as indented JSON, creating the folder. */
export function writeResultsJson(path: string, results: LoadResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}

/** Reads a results document. @throws Error naming the file when it is not one this version writes. */
export function readResultsJson(path: string): LoadResults {
  let doc: Partial<LoadResults>;
  try {
    doc = JSON.parse(readFileSync(path, "utf8")) as Partial<LoadResults>;
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  if (doc.tool !== "ttc-loadtest" || doc.version !== 1) {
    throw new Error(`${path}: not a ttc-loadtest results document of version 1 (written by an older load generator?)`);
  }
  return doc as LoadResults;
}
