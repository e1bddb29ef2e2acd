/**
 * The importers on the REAL recorded corpora in ../shared/data (read-only; a missing file fails,
 * it is not skipped). Figures checked here are the ones the data README states.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it, expect } from "vitest";
import { splitSteps } from "@ttc/policy";
import { runImporter, type ImporterName } from "../src/importers.js";
import { readCorpus, writeCorpus } from "../src/schema.js";
import { corpusStats } from "../src/stats.js";
import { stepTokens } from "../src/steps.js";
import type { CorpusRecord } from "../src/types.js";
import { DATA_FILES, readSharedData, sharedDataPath } from "./shared-data.js";

const cache = new Map<ImporterName, CorpusRecord[]>();

function imported(name: ImporterName): CorpusRecord[] {
  let records = cache.get(name);
  if (records === undefined) {
    const file = {
      "faithful-cot-date": DATA_FILES.date,
      "qwen-math-maj": DATA_FILES.qwen,
      "tot-game24": DATA_FILES.game24,
      "tot-game24-values": DATA_FILES.game24Values,
    }[name];
    const needsPuzzles = name === "tot-game24" || name === "tot-game24-values";
    records = runImporter(name, readSharedData(file), {
      origin: sharedDataPath(file),
      ...(needsPuzzles ? { puzzlesCsv: readSharedData(DATA_FILES.puzzles) } : {}),
    });
    cache.set(name, records);
  }
  return records;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe.each(["faithful-cot-date", "qwen-math-maj", "tot-game24", "tot-game24-values"] as const)("%s on the real file", (name) => {
  it("splitSteps round-trips every branch, and stepTokens sums to its tokens", () => {
    for (const r of imported(name)) {
      for (const [i, b] of r.branches.entries()) {
        const steps = splitSteps(b.text);
        expect(steps.join("")).toBe(b.text);
        expect(steps.length).toBeGreaterThan(0);
        for (const s of steps) expect(s.trim()).not.toBe("");
        const per = stepTokens(r, i);
        expect(per).toHaveLength(steps.length);
        expect(per.reduce((x, y) => x + y, 0)).toBe(b.tokens);
      }
    }
  });

  it("import → write → read is lossless", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ttc-corpus-real-"));
    dirs.push(dir);
    const path = join(dir, `${name}.jsonl`);
    const records = imported(name);
    await writeCorpus(path, records);
    expect(await readCorpus(path)).toEqual(records);
  });

  it("gives every record a unique id and a non-empty problem, and every branch tokens > 0", () => {
    const records = imported(name);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    for (const r of records) {
      expect(r.source).toBe(name);
      expect(r.problem.trim()).not.toBe("");
      for (const b of r.branches) expect(b.tokens).toBeGreaterThan(0);
    }
  });
});

describe("faithful-cot-date (faithful-cot-date-n40.jsonl)", () => {
  it("has 180 questions × 40 completions, gold dates, p50k_base tokens, no recorded labels", () => {
    const records = imported("faithful-cot-date");
    const s = corpusStats(records);
    expect(s.records).toBe(180);
    expect(s.branchesPerRecord).toEqual({ min: 40, mean: 40, max: 40 });
    expect(s.tokenCounting).toEqual({ p50k_base: 180 });
    expect(s.labelled).toBe(0);
    expect(s.meanTokensPerBranch).toBeCloseTo(85.15, 1);
    for (const r of records) {
      expect(r.gold).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
      expect(r.format).toBe("date");
    }
    expect(records[0]).toMatchObject({ id: "faithful-cot-date/0", gold: "05/01/2021" });
  });

  it("reproduces the README's majority-vote accuracy of 0.800 with its answer rule (gold mapping check)", () => {
    let right = 0;
    for (const r of imported("faithful-cot-date")) {
      const votes = new Map<string, number>();
      for (const b of r.branches) {
        const a = [...b.text.matchAll(/answer is (\d{2}\/\d{2}\/\d{4})/g)].at(-1)?.[1];
        if (a !== undefined) votes.set(a, (votes.get(a) ?? 0) + 1);
      }
      const top = [...votes.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
      if (top === r.gold) right++;
    }
    expect(right / 180).toBeCloseTo(0.8, 3);
  });
});

describe("qwen-math-maj (qwen25-math-cot-maj8.jsonl)", () => {
  it("has 48 problems × 8 responses with recorded answers, labels and reward scores", () => {
    const records = imported("qwen-math-maj");
    const s = corpusStats(records);
    expect(s.records).toBe(48);
    expect(s.branchesPerRecord).toEqual({ min: 8, mean: 8, max: 8 });
    expect(s.tokenCounting).toEqual({ cl100k_base: 48 });
    expect(s.labelled).toBe(384);
    expect(s.labelledCorrect).toBe(343);
    expect(s.meanTokensPerBranch).toBeCloseTo(378.2, 1);
    for (const r of records) {
      expect(r.format).toBe("math");
      expect(r.gold).not.toBe("");
      expect(r.system).toMatch(/\\boxed\{\}/);
      expect(r.meta?.["level"]).toMatch(/^Level [1-5]$/);
      for (const b of r.branches) {
        expect(typeof b.score).toBe("number");
        expect(typeof b.answer).toBe("string");
      }
    }
    expect(records[0]).toMatchObject({ id: "qwen-math-maj/0", gold: "420" });
  });

  it("has exactly 5 problems with a mix of right and wrong answers, as the README says", () => {
    const mixed = imported("qwen-math-maj").filter((r) => {
      const right = r.branches.filter((b) => b.correct).length;
      return right > 0 && right < r.branches.length;
    });
    expect(mixed).toHaveLength(5);
  });
});

describe("tot-game24 (tot-game24-gpt4-cot-n100.json)", () => {
  it("has 50 puzzles × 100 traces, about 4% correct", () => {
    const records = imported("tot-game24");
    const s = corpusStats(records);
    expect(s.records).toBe(50);
    expect(s.branchesPerRecord).toEqual({ min: 100, mean: 100, max: 100 });
    expect(s.labelled).toBe(5000);
    expect(s.labelledCorrect).toBe(210);
    expect(s.correctShare).toBeCloseTo(0.042, 3);
    for (const r of records) {
      expect(r).toMatchObject({ gold: "24", format: "game24", tokenCounting: "cl100k_base" });
      expect(r.problem.endsWith(`\nInput: ${String(r.meta?.["numbers"])}`)).toBe(true);
      expect(r.meta?.["numbers"]).toMatch(/^\d+ \d+ \d+ \d+$/);
    }
    expect(records[0]).toMatchObject({ id: "tot-game24/900", meta: { numbers: "4 5 6 10", puzzleIndex: 900 } });
  });

  it("counts tokens as GPT-4 did: the first puzzle's cl100k_base total equals the recorded completion tokens", () => {
    const first = JSON.parse(readSharedData(DATA_FILES.game24))[0] as { usage_so_far: { completion_tokens: number } };
    const record = imported("tot-game24")[0];
    expect(record?.branches.reduce((sum, b) => sum + b.tokens, 0)).toBe(first.usage_so_far.completion_tokens);
    expect(first.usage_so_far.completion_tokens).toBe(6960);
  });
});

describe("tot-game24-values (tot-game24-gpt4-propose-value.json)", () => {
  it("has 50 puzzles, one branch per distinct leaf, a value per step, labels on the kept leaves", () => {
    const records = imported("tot-game24-values");
    const s = corpusStats(records);
    expect(s.records).toBe(50);
    expect(s.branches).toBe(1197);
    expect(s.withStepScores).toBe(1197);
    expect(s.labelled).toBe(250); // the 5 final ys of each puzzle
    expect(s.labelledCorrect).toBe(51);
    expect(records.filter((r) => r.branches.some((b) => b.correct)).length).toBe(32);
    for (const r of records) {
      expect(r.branches.filter((b) => b.correct !== undefined)).toHaveLength(5);
      for (const b of r.branches) {
        expect(b.stepScores?.length).toBe(splitSteps(b.text).length);
        for (const v of b.stepScores ?? []) expect(v >= 0 && v <= 1).toBe(true);
      }
    }
  });

  it("scores the first puzzle's winning path as the search valued it (3 likely, then sure × 3)", () => {
    const first = imported("tot-game24-values")[0];
    expect(first?.id).toBe("tot-game24-values/900");
    const path = "4 * 5 = 20 (left: 6 10 20)\n10 - 6 = 4 (left: 4 20)\n4 + 20 = 24 (left: 24)\nAnswer: (4 * 5) + (10 - 6) = 24\n";
    const branch = first?.branches.find((b) => b.text === path);
    expect(branch).toMatchObject({ correct: true, stepScores: [3 / 60, 1, 1, 1] });
  });

  it("scores a path whose last proposal was empty by the deeper node (puzzle 902)", () => {
    const record = imported("tot-game24-values").find((r) => r.id === "tot-game24-values/902");
    const path = "5 - 2 = 3 (left: 3 8 11)\n11 / 3 ≈ 3.67 (left: 3.67 8)\n8 / 3.67 ≈ 2.18 (left: 2.18)\n\n";
    const branch = record?.branches.find((b) => b.text === path);
    expect(branch).toMatchObject({ correct: false, stepScores: [3 / 60, 3 / 60, 0.003 / 60] });
  });
});
