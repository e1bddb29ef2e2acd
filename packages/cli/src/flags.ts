/** Flag parsing shared by every `ttc` command: numeric flags with ranges, and the JSON output rule. */
import { writeFileSync } from "node:fs";
import { InvalidArgumentError, type Command } from "commander";
import { numberInRange, type NumberRange } from "@ttc/client";

/**
 * A commander parser for a numeric flag in `range`. Commander names the flag and the value in the
 * error: `option '--repeats <n>' argument 'abc' is invalid. expected an integer ≥ 1`.
 */
export function numberFlag(range: NumberRange): (value: string) => number {
  return (value) => {
    try {
      return numberInRange(value, range);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

/** `--json` and `--json-out`, as parsed. */
export interface JsonOutputOptions {
  json?: boolean;
  jsonOut?: string;
}

/**
 * Adds the JSON output flags, the same in every command: `--json` prints the JSON document on stdout
 * instead of the text, `--json-out FILE` writes it to FILE (with the text still printed unless `--json`).
 */
export function addJsonOutputOptions(command: Command, what: string): Command {
  return command
    .option("--json", `print ${what} as one JSON document on stdout instead of text`)
    .option("--json-out <file>", `write ${what} as JSON to this file`);
}

/** Prints `text()` or the JSON of `document` on `out`, and writes the JSON to `--json-out`, as the flags say. */
export function emitOutput(o: JsonOutputOptions, document: unknown, text: () => string, out: NodeJS.WritableStream = process.stdout): void {
  const json = `${JSON.stringify(document, null, 2)}\n`;
  if (o.jsonOut !== undefined) writeFileSync(o.jsonOut, json);
  out.write(o.json ? json : `${text()}\n`);
}
