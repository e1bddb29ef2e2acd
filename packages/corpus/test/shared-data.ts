/**
 * The recorded corpora in ../shared/data beside the repository (read-only, never copied into it).
 * A missing file fails the test that needs it, with a message saying where it was looked for.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const DATA_FILES = {
  date: "faithful-cot-date-n40.jsonl",
  qwen: "qwen25-math-cot-maj8.jsonl",
  game24: "tot-game24-gpt4-cot-n100.json",
  game24Values: "tot-game24-gpt4-propose-value.json",
  puzzles: "tot-game24-puzzles.csv",
} as const;

export function sharedDataPath(file: string): string {
  return fileURLToPath(new URL(`../../../../shared/data/${file}`, import.meta.url));
}

export function readSharedData(file: string): string {
  const path = sharedDataPath(file);
  if (!existsSync(path)) {
    throw new Error(
      `recorded corpus ${file} is missing: expected it at ${path} (the shared data folder beside the ` +
        `repository, see shared/data/README.md); these tests need the real file and are not skipped`,
    );
  }
  return readFileSync(path, "utf8");
}
