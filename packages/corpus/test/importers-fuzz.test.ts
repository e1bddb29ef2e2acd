/**
 * The corpus importers against arbitrary input (fast-check): each either returns records that pass
 * the corpus schema or throws a CorpusFormatError that names where and what; nothing else escapes
 * (no TypeError from a field that was not there, no RangeError).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CorpusFormatError, importerNames, runImporter } from "../src/mod.js";

const puzzlesCsv =
  "Rank,Puzzles,AMT (s),Solved rate,1-sigma Mean,1-sigma STD\n1,1 1 4 6,4.4,99.6%,4.4,2.8\n2,1 1 11 11,4.4,99.6%,4.4,2.8\n";

/** JSON that looks like the sources: objects and arrays with their field names and wrong types. */
const sourceLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom(
        "question",
        "answer",
        "pred",
        "preds",
        "code",
        "gt",
        "idx",
        "x",
        "ys",
        "infos",
        "steps",
        "completion",
        "score",
        "usage",
        "cost",
      ),
      tie("value"),
      { maxKeys: 5 },
    ),
  ),
})).value;

function expectCleanOutcome(run: () => unknown): void {
  try {
    const records = run();
    expect(Array.isArray(records)).toBe(true);
  } catch (err) {
    if (!(err instanceof CorpusFormatError)) throw err;
    expect(err.message.length).toBeGreaterThan(0);
  }
}

describe("corpus importers under arbitrary input", () => {
  it.each(importerNames)("%s: records or a CorpusFormatError, on any text", (name) => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) =>
        expectCleanOutcome(() => runImporter(name, text, { puzzlesCsv, origin: "fuzz" })),
      ),
      { numRuns: 300 },
    );
  });

  it.each(importerNames)("%s: records or a CorpusFormatError, on JSON and JSON lines shaped like its source", (name) => {
    fc.assert(
      fc.property(fc.array(sourceLike, { minLength: 1, maxLength: 4 }), fc.boolean(), (values, lines) => {
        const text = lines ? values.map((v) => JSON.stringify(v)).join("\n") : JSON.stringify(values.length === 1 ? values[0] : values);
        expectCleanOutcome(() => runImporter(name, text, { puzzlesCsv, origin: "fuzz" }));
      }),
      { numRuns: 500 },
    );
  });
});
