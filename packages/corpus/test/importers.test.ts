/** The importers on small hand-made inputs: the mapping, and every way an input can be wrong. */
import { describe, it, expect } from "vitest";
import { splitSteps } from "@ttc/policy";
import { importerNames, runImporter } from "../src/importers.js";
import { CorpusFormatError } from "../src/schema.js";
import { countTokens } from "../src/tokens.js";

function jsonl(...values: unknown[]): string {
  return values.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join("\n") + "\n";
}

function formatError(fn: () => unknown): CorpusFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CorpusFormatError) return error;
    throw error;
  }
  throw new Error("expected a CorpusFormatError");
}

const PUZZLES =
  "Rank,Puzzles,AMT (s),Solved rate,1-sigma Mean (s),1-sigma STD (s)\n1,1 1 4 6,4.4,99.20%,4.67,1.48\n2,4 5 6 10,4.41,99.60%,4.68,1.45\n";

describe("runImporter", () => {
  it("knows the four importers and refuses others", () => {
    expect(importerNames).toEqual(["faithful-cot-date", "qwen-math-maj", "tot-game24", "tot-game24-values"]);
    expect(() => runImporter("gsm8k", "")).toThrow(/unknown importer "gsm8k"; known: faithful-cot-date, qwen-math-maj/);
  });
});

describe("faithful-cot-date", () => {
  const line = {
    id: 7,
    question: "Yesterday was April 30, 2021. What is the date today in MM/DD/YYYY?",
    answer: "#### 05/01/2021",
    completions: ["\nQ1. Yesterday?\nSo the answer is 05/01/2021.\n\n", "I am not sure."],
  };

  it("maps a line to a record: gold after ####, p50k token counts, no recorded labels", () => {
    const [r, ...rest] = runImporter("faithful-cot-date", jsonl(line));
    expect(rest).toEqual([]);
    expect(r).toEqual({
      id: "faithful-cot-date/7",
      problem: line.question,
      gold: "05/01/2021",
      format: "date",
      source: "faithful-cot-date",
      tokenCounting: "p50k_base",
      branches: line.completions.map((text) => ({ text, tokens: countTokens(text, "p50k_base") })),
    });
  });

  it("names the line and field of a missing answer, a malformed gold, a bad line", () => {
    const e = formatError(() =>
      runImporter(
        "faithful-cot-date",
        jsonl(line, { ...line, id: 8, answer: undefined }, { ...line, id: 9, answer: "05/01/2021" }, "{oops", {
          ...line,
          id: 10,
          completions: [],
        }),
        {
          origin: "date.jsonl",
        },
      ),
    );
    expect(e.issues.map((i) => `${i.line}:${i.field}`)).toEqual(["2:answer", "4:", "5:completions"]);
    expect(e.message).toContain("date.jsonl:2: answer: is required");
    // the gold format is checked once the lines parse
    const g = formatError(() =>
      runImporter("faithful-cot-date", jsonl(line, { ...line, id: 9, answer: "05/01/2021" }), { origin: "date.jsonl" }),
    );
    expect(g.message).toBe('date.jsonl:2: answer: expected "#### MM/DD/YYYY", got "05/01/2021"');
  });

  it("refuses an empty file and a duplicate id", () => {
    expect(() => runImporter("faithful-cot-date", "\n")).toThrow(/no records/);
    expect(() => runImporter("faithful-cot-date", jsonl(line, line))).toThrow(/duplicate id "faithful-cot-date\/7"/);
  });
});

describe("qwen-math-maj", () => {
  const line = {
    idx: 4,
    question: "What is $1+1$?",
    gt: "2",
    level: "Level 1",
    system: "Please reason step by step, and put your final answer within \\boxed{}.",
    response: ["We add.\n\nSo $\\boxed{2}$.", "It is \\boxed{3}.", "Hmm."],
    pred: ["2", "3", ""],
    score: [true, false, false],
    pred_score: [[3.5], [-1.25], [0.5]],
  };

  it("maps answers, labels and reward-model scores; cl100k counts; meta.level", () => {
    const [r] = runImporter("qwen-math-maj", jsonl(line));
    expect(r).toMatchObject({
      id: "qwen-math-maj/4",
      problem: line.question,
      system: line.system,
      gold: "2",
      format: "math",
      tokenCounting: "cl100k_base",
      meta: { level: "Level 1" },
    });
    expect(r?.branches).toEqual([
      { text: line.response[0], tokens: countTokens(line.response[0]!, "cl100k_base"), answer: "2", correct: true, score: 3.5 },
      { text: line.response[1], tokens: countTokens(line.response[1]!, "cl100k_base"), answer: "3", correct: false, score: -1.25 },
      // an empty pred is "no answer extracted": left out
      { text: "Hmm.", tokens: countTokens("Hmm.", "cl100k_base"), correct: false, score: 0.5 },
    ]);
  });

  it("names a missing gold, mismatched arrays, a missing reward score", () => {
    const e = formatError(() =>
      runImporter(
        "qwen-math-maj",
        jsonl(
          { ...line, gt: undefined },
          { ...line, idx: 5, score: [true] },
          { ...line, idx: 6, pred_score: [[1], [], [2]] },
          { ...line, idx: 7, score: [true, "no", false] },
        ),
        { origin: "q.jsonl" },
      ),
    );
    expect(e.issues.map((i) => `${i.line}:${i.field}`)).toEqual(["1:gt", "3:pred_score[1]", "4:score[1]"]);
    const m = formatError(() => runImporter("qwen-math-maj", jsonl({ ...line, score: [true] }), { origin: "q.jsonl" }));
    expect(m.message).toBe("q.jsonl:1: score: has 1 entries but response has 3");
  });
});

describe("tot-game24", () => {
  const log = [
    {
      idx: 1,
      ys: ["Steps:\n4 * 5 = 20 (left: 6 10 20)\nAnswer: (4 * 5) + (10 - 6) = 24", "Steps:\nAnswer: None"],
      infos: [{ r: 1 }, { r: 0 }],
      usage_so_far: { completion_tokens: 30 },
    },
  ];

  it("needs the puzzles CSV, and says so", () => {
    expect(() => runImporter("tot-game24", JSON.stringify(log))).toThrow(/tot-game24 needs the puzzles CSV \(--puzzles/);
  });

  it("maps a log element to a record with the puzzle's numbers and the labels", () => {
    const [r] = runImporter("tot-game24", JSON.stringify(log), { puzzlesCsv: PUZZLES });
    expect(r).toMatchObject({
      id: "tot-game24/1",
      problem:
        "Use numbers and basic arithmetic operations (+ - * /) to obtain 24. Each step, you are only allowed to choose two of the remaining numbers to obtain a new number.\nInput: 4 5 6 10",
      gold: "24",
      format: "game24",
      tokenCounting: "cl100k_base",
      meta: { numbers: "4 5 6 10", puzzleIndex: 1 },
    });
    expect(r?.branches.map((b) => b.correct)).toEqual([true, false]);
    expect(r?.branches[1]?.tokens).toBe(countTokens("Steps:\nAnswer: None", "cl100k_base"));
  });

  it("names a puzzle row that is not in the CSV, mismatched infos, a bad CSV and bad JSON", () => {
    expect(() => runImporter("tot-game24", JSON.stringify([{ ...log[0], idx: 2 }]), { puzzlesCsv: PUZZLES, origin: "g.json" })).toThrow(
      "g.json[0]: idx: puzzle row 2 is not in the puzzles CSV (it has 2 rows)",
    );
    expect(() =>
      runImporter("tot-game24", JSON.stringify([log[0], { ...log[0], infos: [] }]), { puzzlesCsv: PUZZLES, origin: "g.json" }),
    ).toThrow("g.json[1]: infos: has 0 entries but ys has 2");
    expect(() => runImporter("tot-game24", JSON.stringify(log), { puzzlesCsv: "a,b\n1,2\n", puzzlesOrigin: "p.csv" })).toThrow(
      /p\.csv:1: expected a header with a "Puzzles" column/,
    );
    expect(() => runImporter("tot-game24", "{", { puzzlesCsv: PUZZLES, origin: "g.json" })).toThrow(/g\.json: not valid JSON/);
    expect(() => runImporter("tot-game24", "{}", { puzzlesCsv: PUZZLES, origin: "g.json" })).toThrow(
      "g.json: expected a JSON array of log records",
    );
    expect(() => runImporter("tot-game24", JSON.stringify([{ idx: 1, infos: [] }]), { puzzlesCsv: PUZZLES, origin: "g.json" })).toThrow(
      "g.json[0]: ys: is required",
    );
  });
});

describe("tot-game24-values", () => {
  const a = "4 * 5 = 20 (left: 6 10 20)\n";
  const ab = a + "10 - 6 = 4 (left: 4 20)\n";
  const ac = a + "20 - 10 = 10 (left: 6 10)\n";
  const abAnswer = ab + "Answer: (4 * 5) + (10 - 6) = 24\n";
  const acEmpty = ac + "\n"; // an empty last proposal, as the real log has a few times
  const acWrong = ac + "6 + 10 = 16 (left: 16)\n";
  const puzzle = {
    idx: 1,
    steps: [
      { step: 0, x: "4 5 6 10", ys: [""], new_ys: [a, "4 + 5 = 9 (left: 6 9 10)\n"], values: [3, 0.003], select_new_ys: [a] },
      { step: 1, x: "4 5 6 10", ys: [a], new_ys: [ab, ac, ab], values: [60, 2.001, 0], select_new_ys: [ab, ac] },
      {
        step: 2,
        x: "4 5 6 10",
        ys: [ab, ac],
        new_ys: [abAnswer, acEmpty, acWrong, abAnswer],
        values: [60, 0.003, 0, 0],
        select_new_ys: [abAnswer, acEmpty],
      },
    ],
    ys: [abAnswer, acEmpty],
    infos: [{ r: 1 }, { r: 0 }],
    usage_so_far: {},
  };

  it("needs the puzzles CSV", () => {
    expect(() => runImporter("tot-game24-values", JSON.stringify([puzzle]))).toThrow(/tot-game24-values needs the puzzles CSV/);
  });

  it("makes one branch per distinct leaf with the search's values per step, normalised by 60", () => {
    const [r] = runImporter("tot-game24-values", JSON.stringify([puzzle]), { puzzlesCsv: PUZZLES });
    expect(r?.id).toBe("tot-game24-values/1");
    expect(r?.meta).toEqual({ numbers: "4 5 6 10", puzzleIndex: 1 });
    expect(r?.branches.map((b) => b.text)).toEqual([abAnswer, acEmpty, acWrong]);
    const [answer, empty, wrong] = r?.branches ?? [];
    expect(answer?.stepScores).toEqual([3 / 60, 1, 1]);
    expect(answer?.correct).toBe(true);
    // the empty last extension merges into step 2 (splitSteps), which takes the deeper node's value
    expect(splitSteps(acEmpty)).toHaveLength(2);
    expect(empty?.stepScores).toEqual([3 / 60, 0.003 / 60]);
    expect(empty?.correct).toBe(false);
    // a leaf the search did not keep: no recorded label
    expect(wrong?.stepScores).toEqual([3 / 60, 2.001 / 60, 0]);
    expect(wrong?.correct).toBeUndefined();
    expect(wrong && "correct" in wrong).toBe(false);
  });

  it("refuses a log whose prefix is missing, whose numbers disagree with the CSV, or whose values are short", () => {
    const missing = structuredClone(puzzle);
    missing.steps[1]!.new_ys = [ab, ab];
    missing.steps[1]!.values = [60, 0];
    expect(() => runImporter("tot-game24-values", JSON.stringify([missing]), { puzzlesCsv: PUZZLES, origin: "v.json" })).toThrow(
      `v.json[0]: steps[1].new_ys: has no candidate ${JSON.stringify(ac)}`,
    );
    const otherPuzzle = { ...puzzle, idx: 0 };
    const e = formatError(() => runImporter("tot-game24-values", JSON.stringify([otherPuzzle]), { puzzlesCsv: PUZZLES, origin: "v.json" }));
    expect(e.issues.map((i) => i.field)).toEqual(["steps[0].x", "steps[1].x", "steps[2].x"]);
    expect(e.issues[0]?.message).toBe('is "4 5 6 10" but puzzle row 0 of the CSV is "1 1 4 6"');
    const short = structuredClone(puzzle);
    short.steps[2]!.values = [60];
    expect(() => runImporter("tot-game24-values", JSON.stringify([short]), { puzzlesCsv: PUZZLES, origin: "v.json" })).toThrow(
      "v.json[0]: steps[2].values: has 1 values for 4 candidates in new_ys",
    );
  });
});
