/** The Game of 24 puzzles file of the Tree-of-Thought repository and the prompt ttc asks with. */
import { CorpusFormatError } from "../schema.js";

/**
 * The task as ttc poses it: the task line of the Tree-of-Thought chain-of-thought prompt, then the
 * input line (`numbers` as "4 5 6 10").
 */
export function game24Problem(numbers: string): string {
  return (
    "Use numbers and basic arithmetic operations (+ - * /) to obtain 24. Each step, you are only allowed " +
    `to choose two of the remaining numbers to obtain a new number.\nInput: ${numbers}`
  );
}

/** One CSV line split into fields (double quotes and "" escapes understood). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/**
 * The puzzles of `24.csv` (`Rank,Puzzles,AMT (s),Solved rate,…`): element i is the four numbers of
 * data row i ("4 5 6 10"), the row a log's `idx` names.
 */
export function parseGame24Puzzles(csv: string, origin = "puzzles CSV"): string[] {
  const lines = csv.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === "") lines.pop();
  const header = csvFields(lines[0] ?? "").map((h) => h.trim());
  const column = header.indexOf("Puzzles");
  if (column < 0) {
    throw new CorpusFormatError(origin, [
      {
        line: 1,
        field: "",
        message: `expected a header with a "Puzzles" column (the Tree-of-Thought 24.csv), got ${JSON.stringify(lines[0] ?? "")}`,
      },
    ]);
  }
  return lines.slice(1).map((line, i) => {
    const numbers = (csvFields(line)[column] ?? "").trim().split(/\s+/).join(" ");
    if (!/^-?\d+(\.\d+)?( -?\d+(\.\d+)?)+$/.test(numbers)) {
      throw new CorpusFormatError(origin, [
        { line: i + 2, field: "Puzzles", message: `expected numbers like "4 5 6 10", got ${JSON.stringify(numbers)}` },
      ]);
    }
    return numbers;
  });
}

/** The message when a Game of 24 log is imported without the puzzles file. */
export function puzzlesNeeded(importer: string): Error {
  return new Error(
    `${importer} needs the puzzles CSV (--puzzles tot-game24-puzzles.csv, the Tree-of-Thought repository's ` +
      `src/tot/data/24/24.csv): the log records only each puzzle's row index, not its numbers`,
  );
}

/** The numbers of puzzle row `idx`, or an error naming the log element. */
export function puzzleNumbers(puzzles: readonly string[], idx: number, origin: string, element: number): string {
  const numbers = puzzles[idx];
  if (numbers === undefined) {
    throw new CorpusFormatError(origin, [
      { element, field: "idx", message: `puzzle row ${idx} is not in the puzzles CSV (it has ${puzzles.length} rows)` },
    ]);
  }
  return numbers;
}
