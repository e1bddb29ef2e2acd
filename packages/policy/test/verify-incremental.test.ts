/**
 * Incremental verification is exact: on real recorded traces (../shared/data, read in place, never
 * copied into the repository), verifying chunk by chunk with the continuation of each judgement gives
 * exactly the judgement of the whole trace at every point, for every verifier that reads the trace.
 * Chunks are cut at random sizes (so inside numbers, equations, `\times` and line ends), and at every
 * character for some traces; a fuzz over equation-dense text checks the arithmetic scan's bounds.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mulberry32, type Rng } from "@ttc/stats";
import { createRecordedVerifier } from "../src/verify/recorded.js";
import { createVerifier, ResumeError, type TraceVerifier, type VerifyInput } from "../src/verify/mod.js";
import { splitSteps } from "../src/reasoning-steps.js";

function dataFile(name: string): string {
  const path = fileURLToPath(new URL(`../../../../shared/data/${name}`, import.meta.url));
  if (!existsSync(path))
    throw new Error(`missing ${path}: these tests read the recorded traces in place (see /work/shared/data/README.md)`);
  return readFileSync(path, "utf8");
}

const jsonl = <T>(name: string): T[] =>
  dataFile(name)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);

/** A trace and what a verify call says of it besides the text. */
interface Sample {
  name: string;
  trace: string;
  context: Omit<VerifyInput, "trace" | "final" | "traceOffset" | "resume">;
}

/** Every `stride`-th trace of each corpus (all of them would take minutes; the stride still covers every problem). */
function samples(stride: number): Sample[] {
  const out: Sample[] = [];
  const date = jsonl<{ id: number; question: string; completions: string[] }>("faithful-cot-date-n40.jsonl");
  for (const row of date) {
    for (let i = row.id % stride; i < row.completions.length; i += stride) {
      out.push({ name: `date ${row.id}/${i}`, trace: row.completions[i]!, context: { prompt: row.question, format: "date" } });
    }
  }
  const qwen = jsonl<{ idx: number; question: string; response: string[]; pred_score: number[][] }>("qwen25-math-cot-maj8.jsonl");
  for (const row of qwen) {
    row.response.forEach((trace, i) => {
      // Step scores, one per splitSteps step as a corpus records them, so the recorded verifier counts steps.
      const stepScores = splitSteps(trace).map((_, s) => ((s * 7 + i) % 10) / 10);
      const recorded = { score: row.pred_score[i]![0]!, stepScores };
      out.push({ name: `qwen ${row.idx}/${i}`, trace, context: { prompt: row.question, format: "math", recorded } });
    });
  }
  const game24 = JSON.parse(dataFile("tot-game24-gpt4-cot-n100.json")) as { idx: number; ys: string[] }[];
  const [header, ...rows] = dataFile("tot-game24-puzzles.csv").trim().split(/\r?\n/);
  const column = header!.split(",").indexOf("Puzzles");
  for (const rec of game24) {
    const prompt = `Use numbers and basic arithmetic operations (+ - * /) to obtain 24.\nInput: ${rows[rec.idx]!.split(",")[column]}`;
    for (let i = rec.idx % stride; i < rec.ys.length; i += stride)
      out.push({ name: `game24 ${rec.idx}/${i}`, trace: rec.ys[i]!, context: { prompt } });
  }
  return out;
}

/** Cut points: random chunk sizes from 1 to `max` characters, ending at the trace's end. */
function randomCuts(length: number, rng: Rng, max: number): number[] {
  const cuts: number[] = [];
  for (let at = 0; at < length;) {
    at = Math.min(length, at + 1 + Math.floor(rng() * max));
    cuts.push(at);
  }
  return cuts;
}

const judgement = ({ continuation: _, ...rest }: ReturnType<TraceVerifier["verify"]>) => rest;

/**
 * Feeds `trace` to `verifier` chunk by chunk as the query engine does (each partial call sends the
 * trace from the last continuation's offset, with its resume; the final call the whole trace with
 * it) and checks every judgement against the whole-trace one. Returns the characters sent.
 */
function replayIncrementally(verifier: TraceVerifier, sample: Sample, cuts: number[]): { sent: number; calls: number } {
  let offset = 0;
  let resume = "";
  let sent = 0;
  for (const [n, end] of cuts.entries()) {
    const final = n === cuts.length - 1;
    const from = final ? 0 : offset;
    const input = { ...sample.context, trace: sample.trace.slice(from, end), traceOffset: from, resume, final };
    const resumed = verifier.verify(input);
    const whole = verifier.verify({ ...sample.context, trace: sample.trace.slice(0, end), final });
    expect(judgement(resumed), `${verifier.name} on ${sample.name} at ${end} of ${sample.trace.length}`).toEqual(judgement(whole));
    sent += input.trace.length;
    offset = resumed.continuation?.offset ?? 0;
    resume = resumed.continuation?.resume ?? "";
    expect(offset).toBeLessThanOrEqual(end);
  }
  return { sent, calls: cuts.length };
}

describe("incremental verification equals whole-trace verification on recorded traces", () => {
  const all = samples(8);
  const verifiers = [createVerifier("arith"), createVerifier("rule"), createVerifier("recorded")];

  it("covers every corpus", () => {
    expect(all.filter((s) => s.name.startsWith("date")).length).toBeGreaterThan(800);
    expect(all.filter((s) => s.name.startsWith("qwen"))).toHaveLength(384);
    expect(all.filter((s) => s.name.startsWith("game24")).length).toBeGreaterThan(600);
  });

  for (const verifier of verifiers) {
    it(`${verifier.name}: random chunks of 1 to 40 characters`, () => {
      const rng = mulberry32(8);
      for (const sample of all) replayIncrementally(verifier, sample, randomCuts(sample.trace.length, rng, 40));
    });
  }

  it("arith and rule: every character a chunk, on traces dense with equations", () => {
    const dense = all.filter((s) => /\d\s*[-+*×x÷/]\s*\d+\s*=/.test(s.trace)).filter((_, i) => i % 30 === 0);
    expect(dense.length).toBeGreaterThanOrEqual(20);
    for (const sample of dense) {
      const everyCharacter = Array.from({ length: sample.trace.length }, (_, i) => i + 1);
      for (const verifier of [createVerifier("arith"), createVerifier("rule")]) replayIncrementally(verifier, sample, everyCharacter);
    }
  });

  it("sends each chunk once plus a bounded overlap (arith on the longest traces)", () => {
    const rng = mulberry32(3);
    const arith = createVerifier("arith");
    const longest = [...all].sort((a, b) => b.trace.length - a.trace.length).slice(0, 20);
    for (const sample of longest) {
      const { sent, calls } = replayIncrementally(arith, sample, randomCuts(sample.trace.length, rng, 40));
      // The final call carries the whole trace once; each partial call re-sends at most the left
      // context and the unsettled tail (a few dozen characters on real text).
      expect(sent, sample.name).toBeLessThan(2 * sample.trace.length + 48 * calls);
    }
  });
});

describe("the arithmetic scan resumes exactly on adversarial text", () => {
  const pieces = [" ", "  ", "\n", "1", "2", "7", "42", "0.5", ".", ",", "-", "+", "*", "×", "x", "÷", "/", "=", " = ", "^", "%"];
  const words = ["\\times", "\\cdot", "\\div", ")", "(", "so", "ab", "𝑥", "1,000", "3 + 4 = 7", "2 x 3 = 6", "10 / 4 = 2.5"];
  const text = (rng: Rng, length: number) =>
    Array.from({ length }, () => (rng() < 0.8 ? pieces : words)[Math.floor(rng() * (rng() < 0.8 ? pieces.length : words.length))]!).join(
      "",
    );

  it("keeps no equation whose lookahead could still read on: `= 7 \\time` may become `= 7 \\times`", () => {
    const trace = "so 3 + 4 = 7 \\times 2 is it";
    const cut = trace.indexOf("\\time") + "\\time".length;
    replayIncrementally(createVerifier("arith"), { name: trace, trace, context: {} }, [cut, trace.length - 1, trace.length]);
    expect(createVerifier("arith").verify({ trace: trace.slice(0, cut), final: false }).stepScores).toEqual([1]);
    expect(createVerifier("arith").verify({ trace, final: false }).stepScores).toEqual([]);
  });

  it("gives the whole-trace check at every cut of random equation-dense strings", () => {
    const rng = mulberry32(24);
    const arith = createVerifier("arith");
    for (let n = 0; n < 400; n++) {
      const trace = text(rng, 20 + Math.floor(rng() * 200));
      replayIncrementally(arith, { name: JSON.stringify(trace), trace, context: {} }, randomCuts(trace.length, rng, 6));
    }
  });
});

describe("continuations that do not fit", () => {
  const arith = createVerifier("arith");
  const trace = "We have 2 + 2 = 4, and then 3 * 3 = 9 for the next part of the sum.\n";
  const first = arith.verify({ trace: trace.slice(0, 40), final: false });

  it("are refused when the trace starts later than the state expects, or without a state", () => {
    const offset = first.continuation!.offset;
    expect(offset).toBeGreaterThan(0);
    const late = { trace: trace.slice(offset + 1), traceOffset: offset + 1, resume: first.continuation!.resume, final: false };
    expect(() => arith.verify(late)).toThrow(ResumeError);
    expect(() => arith.verify({ trace: trace.slice(offset), traceOffset: offset, final: false })).toThrow(/no resume state came with it/);
    const other = createRecordedVerifier().verify({ trace: "a\n", final: false, recorded: { stepScores: [1] } }).continuation!;
    expect(() => arith.verify({ trace: trace.slice(offset), traceOffset: offset, resume: other.resume, final: false })).toThrow(
      /not a arith\/1 state/,
    );
  });

  it("are ignored, and the trace read from the start, when the whole trace is there", () => {
    const whole = arith.verify({ trace, final: false });
    expect(judgement(arith.verify({ trace, traceOffset: 0, resume: "not json", final: false }))).toEqual(judgement(whole));
    expect(judgement(arith.verify({ trace, traceOffset: 0, resume: first.continuation!.resume, final: false }))).toEqual(judgement(whole));
  });

  it("an arith state that scans from past the end of the text is one that does not fit", () => {
    const resume = JSON.stringify({ k: "arith/1", at: 10, s: { ahead: trace.length, scores: "", firstError: null } });
    const whole = arith.verify({ trace, final: false });
    expect(judgement(arith.verify({ trace, traceOffset: 0, resume, final: false }))).toEqual(judgement(whole));
    expect(() => arith.verify({ trace: trace.slice(10), traceOffset: 10, resume, final: false })).toThrow(ResumeError);
  });

  it("rule reads another format's final answer only from the whole trace", () => {
    const rule = createVerifier("rule");
    const partial = rule.verify({ trace: trace.slice(0, 40), final: false, format: "number" }).continuation!;
    const final = {
      trace: trace.slice(partial.offset),
      traceOffset: partial.offset,
      resume: partial.resume,
      final: true,
      format: "number" as const,
    };
    expect(() => rule.verify(final)).toThrow(/verifier rule reads the whole trace, but this one starts at offset/);
  });
});
