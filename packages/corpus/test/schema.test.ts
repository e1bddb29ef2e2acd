import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it, expect } from "vitest";
import { CorpusFormatError, formatCorpus, formatRecord, parseCorpus, readCorpus, validateRecords, writeCorpus } from "../src/schema.js";
import type { CorpusRecord } from "../src/types.js";

function rec(over: Partial<CorpusRecord> = {}): CorpusRecord {
  return {
    id: "a",
    problem: "What is 1 + 1?",
    gold: "2",
    format: "number",
    source: "test",
    tokenCounting: "chars/4",
    branches: [{ text: "1 + 1 = 2\nThe answer is 2.", tokens: 7, answer: "2", correct: true }],
    ...over,
  };
}

function lines(...values: unknown[]): string {
  return values.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join("\n") + "\n";
}

function issuesOf(fn: () => unknown): CorpusFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CorpusFormatError) return error;
    throw error;
  }
  throw new Error("expected a CorpusFormatError");
}

describe("parseCorpus", () => {
  it("reads valid JSONL, skipping blank lines", () => {
    const text = lines(rec({ id: "a" }), "", rec({ id: "b", system: "be brief", meta: { level: "Level 3", n: 4 } }));
    const records = parseCorpus(text, "ok.jsonl");
    expect(records.map((r) => r.id)).toEqual(["a", "b"]);
    expect(records[1]?.meta).toEqual({ level: "Level 3", n: 4 });
    expect(parseCorpus("", "empty.jsonl")).toEqual([]);
  });

  it("names the file, the line and the field of a wrong value", () => {
    const bad = rec({ id: "b" });
    (bad.branches[0] as { tokens: number }).tokens = -5;
    const e = issuesOf(() => parseCorpus(lines(rec(), bad), "c.jsonl"));
    expect(e.issues).toEqual([{ line: 2, field: "branches[0].tokens", message: "must not be negative (got -5)" }]);
    expect(e.message).toBe("c.jsonl:2: branches[0].tokens: must not be negative (got -5)");
  });

  it("lists every problem, each with its line and field", () => {
    const text = lines(
      rec({ id: "a" }),
      { ...rec({ id: "b" }), gold: undefined },
      "{not json",
      { ...rec({ id: "c" }), format: "essay" },
      { ...rec({ id: "d" }), branches: [{ text: "x", tokens: 1.5 }] },
      { ...rec({ id: "e" }), extra: 1 },
      { ...rec({ id: "f" }), branches: [] },
      { ...rec({ id: "g" }), meta: { ok: 1, bad: true } },
    );
    const e = issuesOf(() => parseCorpus(text, "many.jsonl"));
    const where = e.issues.map((i) => `${i.line}:${i.field}`);
    expect(where).toEqual(["2:gold", "3:", "4:format", "5:branches[0].tokens", "6:extra", "7:branches", "8:meta.bad"]);
    expect(e.issues[0]?.message).toBe("is required");
    expect(e.issues[1]?.message).toMatch(/^not valid JSON/);
    expect(e.issues[2]?.message).toMatch(/"essay"/);
    expect(e.issues[3]?.message).toBe("must be an integer (got 1.5)");
    expect(e.issues[4]?.message).toBe("unknown field");
    expect(e.message).toMatch(/^many\.jsonl: 7 problems:\n  many\.jsonl:2: gold: is required\n/);
  });

  it("rejects duplicate ids, naming both lines", () => {
    const e = issuesOf(() => parseCorpus(lines(rec({ id: "x" }), rec({ id: "y" }), rec({ id: "x" })), "d.jsonl"));
    expect(e.issues).toEqual([{ line: 3, field: "id", message: 'duplicate id "x" (first on line 1)' }]);
  });

  it("rejects stepScores that do not match the text's steps", () => {
    const noSteps = rec({ branches: [{ text: "", tokens: 0, stepScores: [0.5] }] });
    const tooMany = rec({ id: "b", branches: [{ text: "a\nb\n", tokens: 2, stepScores: [0.1, 0.2, 0.3] }] });
    const empty = rec({ id: "c", branches: [{ text: "a\nb\n", tokens: 2, stepScores: [] }] });
    const good = rec({ id: "d", branches: [{ text: "a\nb\n", tokens: 2, stepScores: [0.1, 0.2] }] });
    const e = issuesOf(() => parseCorpus(lines(noSteps, tooMany, empty, good), "s.jsonl"));
    expect(e.issues).toEqual([
      { line: 1, field: "branches[0].stepScores", message: "given for a branch whose text has no steps" },
      { line: 2, field: "branches[0].stepScores", message: "has 3 scores but the text has 2 steps (one score per splitSteps step)" },
      { line: 3, field: "branches[0].stepScores", message: "must not be empty (leave it out when there are no step scores)" },
    ]);
  });

  it("rejects non-finite and non-numeric scores and unknown token countings", () => {
    const text = lines(
      { ...rec(), branches: [{ text: "x", tokens: 1, score: "high" }] },
      { ...rec({ id: "b" }), tokenCounting: "o200k_base" },
      { ...rec({ id: "c" }), branches: [{ text: "x", tokens: 1, correct: "yes" }] },
    );
    const e = issuesOf(() => parseCorpus(text, "t.jsonl"));
    expect(e.issues.map((i) => `${i.line}:${i.field}`)).toEqual(["1:branches[0].score", "2:tokenCounting", "3:branches[0].correct"]);
    expect(validateRecords.bind(null, [rec({ branches: [{ text: "x", tokens: 1, score: Number.POSITIVE_INFINITY }] })])).toThrow(
      /branches\[0\]\.score/,
    );
  });
});

describe("formatRecord / formatCorpus", () => {
  it("writes one line per record with the fields in the canonical order", () => {
    const r = rec({ meta: { n: 1 }, system: "s" });
    const shuffled = {
      branches: r.branches,
      meta: r.meta,
      tokenCounting: r.tokenCounting,
      source: r.source,
      format: r.format,
      gold: r.gold,
      system: r.system,
      problem: r.problem,
      id: r.id,
    };
    const line = formatRecord(shuffled);
    expect(line).not.toContain("\n");
    expect(Object.keys(JSON.parse(line))).toEqual([
      "id",
      "problem",
      "system",
      "gold",
      "format",
      "source",
      "tokenCounting",
      "meta",
      "branches",
    ]);
    expect(Object.keys(JSON.parse(line).branches[0])).toEqual(["text", "tokens", "answer", "correct"]);
  });

  it("refuses to format an invalid record or a corpus with duplicate ids", () => {
    expect(() => formatRecord(rec({ id: "" }))).toThrow(/id: must not be empty/);
    expect(() => formatCorpus([rec(), rec()], "out.jsonl")).toThrow('out.jsonl:2: id: duplicate id "a" (first on line 1)');
  });
});

describe("readCorpus / writeCorpus", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("round-trips records losslessly through a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ttc-corpus-"));
    dirs.push(dir);
    const path = join(dir, "c.jsonl");
    const records = [
      rec({ id: "a", system: "sys", meta: { level: "Level 5", puzzleIndex: 900 } }),
      rec({
        id: "b",
        branches: [
          { text: "α\n\nβ 😀\n", tokens: 3, score: 3.546875, stepScores: [0.05, 1 / 60] },
          { text: "x", tokens: 0, correct: false },
        ],
      }),
    ];
    await writeCorpus(path, records);
    const text = await readFile(path, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(3);
    expect(await readCorpus(path)).toEqual(records);
  });

  it("names the file when reading a bad one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ttc-corpus-"));
    dirs.push(dir);
    const path = join(dir, "bad.jsonl");
    await writeFile(path, lines(rec(), { ...rec({ id: "b" }), problem: 42 }));
    await expect(readCorpus(path)).rejects.toThrow(`${path}:2: problem: `);
  });
});
