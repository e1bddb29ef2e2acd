/**
 * The evaluator's aggregation and presentation: evaluate() rows, the baseline, bootstrap intervals,
 * policy specs, the text table and the HTML report. On hand-built records and on the real
 * Qwen2.5-Math corpus in ../shared/data (read-only; a missing file fails, it is not skipped).
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runImporter, type CorpusBranch, type CorpusRecord } from "@ttc/corpus";
import { mean } from "@ttc/stats";
import {
  evaluate,
  querySeed,
  runConfiguration,
  virtualRunner,
  type EvalOptions,
  type EvalReport,
  type QueryRunner,
} from "../src/evaluate.js";
import { prepareProblem } from "../src/prepare.js";
import { formatTable, renderHtml } from "../src/report.js";
import { parseModes, parsePolicySpec } from "../src/spec.js";
import { bootstrapInterval } from "../src/stats.js";

const QWEN = fileURLToPath(new URL("../../../../shared/data/qwen25-math-cot-maj8.jsonl", import.meta.url));
let qwenRecords: CorpusRecord[] | null = null;
function qwen(): CorpusRecord[] {
  if (!qwenRecords) {
    if (!existsSync(QWEN))
      throw new Error(`recorded corpus missing: expected it at ${QWEN} (the shared data folder beside the repository)`);
    qwenRecords = runImporter("qwen-math-maj", readFileSync(QWEN, "utf8"), { origin: QWEN });
  }
  return qwenRecords;
}

/** A branch of `steps` lines of 40 characters (10 chars/4 tokens each), the last saying the answer. */
function branch(answer: string, steps: number): CorpusBranch {
  const lines = [...Array.from({ length: steps - 1 }, (_, i) => `Step ${i + 1}: thinking.`), `The answer is ${answer}.`];
  const text = lines.map((l) => `${l.padEnd(39)}\n`).join("");
  return { text, tokens: text.length / 4 };
}

function record(id: string, gold: string, answers: Array<[string, number]>): CorpusRecord {
  return {
    id,
    problem: `hand-built problem ${id}`,
    gold,
    format: "number",
    source: "test",
    tokenCounting: "chars/4",
    branches: answers.map(([a, steps]) => branch(a, steps)),
  };
}

const options = (over: Partial<EvalOptions> = {}): EvalOptions => ({
  specs: ["majority", "adaptive", "esc"].map((s) => parsePolicySpec(s, "none")),
  modes: ["all-parallel", "sequential", "waves"],
  repeats: 2,
  seed: 1,
  parallelism: 4,
  tokensPerSecond: 50,
  ...over,
});

describe("evaluate()", () => {
  let report: EvalReport;
  const progress: Array<[number, number, string]> = [];

  it("rows: the majority × all-parallel baseline first with tokensSaved 0, then every spec × mode once", async () => {
    const records = qwen().slice(0, 12);
    report = await evaluate(records, options({ onProgress: (d, t, l) => progress.push([d, t, l]) }));
    const rows = report.policies;
    expect(rows.map((r) => `${r.policy} × ${r.mode}`)).toEqual([
      "majority × all-parallel",
      "majority × sequential",
      "majority × waves",
      "adaptive × all-parallel",
      "adaptive × sequential",
      "adaptive × waves",
      "esc × all-parallel",
      "esc × sequential",
      "esc × waves",
    ]);
    expect(report.baseline).toEqual({ policy: "majority", mode: "all-parallel" });
    expect(rows[0]).toMatchObject({ policy: "majority", name: "majority", verifier: "none", mode: "all-parallel", tokensSaved: 0 });
    const baseline = rows[0]!.tokensPerQuery;
    // The baseline spends every branch: the mean over problems of the sum of their branch tokens.
    expect(baseline).toBeCloseTo(mean(records.map((r) => r.branches.reduce((s, b) => s + b.tokens, 0))), 9);
    for (const r of rows.slice(1)) expect(r.tokensSaved).toBeCloseTo(1 - r.tokensPerQuery / baseline, 12);
    // Majority runs everything in every mode: the same tokens, nothing saved.
    for (const r of rows.filter((x) => x.policy === "majority")) {
      expect(r.tokensPerQuery).toBeCloseTo(baseline, 9);
      expect(r.branchesPerQuery).toBe(8);
    }
    // Adaptive stops early on these mostly unanimous problems.
    const adaptive = rows.find((r) => r.policy === "adaptive" && r.mode === "sequential")!;
    expect(adaptive.tokensSaved).toBeGreaterThan(0.3);
    expect(adaptive.branchesPerQuery).toBeLessThan(8);
    // Adaptive waves and sequential spend the same tokens (the waves design property), waves answer sooner.
    const waves = rows.find((r) => r.policy === "adaptive" && r.mode === "waves")!;
    expect(waves.tokensPerQuery).toBeCloseTo(adaptive.tokensPerQuery, 9);
    expect(waves.latencyP50).toBeLessThanOrEqual(adaptive.latencyP50);
  });

  it("every row's bootstrap interval contains its accuracy; p50 ≤ p95", () => {
    for (const r of report.policies) {
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
      expect(r.accuracyLow).toBeLessThanOrEqual(r.accuracy);
      expect(r.accuracyHigh).toBeGreaterThanOrEqual(r.accuracy);
      expect(r.latencyP50).toBeLessThanOrEqual(r.latencyP95);
      expect(r.verifierCallsPerQuery).toBe(0);
      expect(r.prunedPerQuery).toBe(0);
    }
  });

  it("reports the corpus and settings, and calls onProgress once per configuration × problem", () => {
    expect(report.corpus).toEqual({ records: 12, branchesPerRecord: 8, tokenCounting: "cl100k_base", source: "qwen-math-maj" });
    expect(report.settings).toEqual({ repeats: 2, seed: 1, parallelism: 4, tokensPerSecond: 50, runner: "virtual" });
    expect(progress).toHaveLength(9 * 12);
    expect(progress.map(([d]) => d)).toEqual(Array.from({ length: 9 * 12 }, (_, i) => i + 1));
    expect(progress.every(([, t]) => t === 9 * 12)).toBe(true);
    expect(progress[0]![2]).toBe("majority × all-parallel");
    expect(progress.at(-1)![2]).toBe("esc × waves");
  });

  it("is reproducible: the same options give the same report", async () => {
    const again = await evaluate(qwen().slice(0, 12), options());
    expect(again).toEqual(report);
  });

  it("accuracy and its interval on hand-built problems: all right, all wrong, half", async () => {
    const right = [
      record("r1", "7", [
        ["7", 2],
        ["7", 3],
        ["9", 1],
      ]),
      record("r2", "4", [
        ["4", 1],
        ["4", 1],
        ["4", 2],
      ]),
    ];
    const wrong = [
      record("w1", "5", [
        ["7", 2],
        ["7", 3],
        ["9", 1],
      ]),
    ];
    const o = options({ specs: [parsePolicySpec("majority", "none")], modes: ["all-parallel"], repeats: 3 });
    const allRight = (await evaluate(right, o)).policies[0]!;
    expect([allRight.accuracy, allRight.accuracyLow, allRight.accuracyHigh]).toEqual([1, 1, 1]);
    const allWrong = (await evaluate(wrong, o)).policies[0]!;
    expect([allWrong.accuracy, allWrong.accuracyLow, allWrong.accuracyHigh]).toEqual([0, 0, 0]);
    const half = (await evaluate([...right, ...wrong, record("w2", "1", [["2", 1]])], o)).policies[0]!;
    expect(half.accuracy).toBe(0.5);
    expect(half.accuracyLow).toBeLessThan(0.5);
    expect(half.accuracyHigh).toBeGreaterThan(0.5);
    // Majority of [7, 7, 9] costs every branch: 20 + 30 + 10 tokens; latency the longest, 30 tokens at 50/s.
    const one = (await evaluate([right[0]!], o)).policies[0]!;
    expect(one.tokensPerQuery).toBe(60);
    expect(one.latencyP50).toBeCloseTo(30 / 50, 12);
    expect(one.branchesPerQuery).toBe(3);
  });

  it("a majority spec with a verifier is a row of its own, not the baseline", async () => {
    const rep = await evaluate(
      [
        record("v", "7", [
          ["7", 2],
          ["9", 1],
        ]),
      ],
      options({ specs: [parsePolicySpec("majority@arith", "none")], modes: ["all-parallel"] }),
    );
    expect(rep.policies.map((r) => [r.policy, r.verifier, r.mode])).toEqual([
      ["majority", "none", "all-parallel"],
      ["majority@arith", "arith", "all-parallel"],
    ]);
  });

  it("hands each problem × repeat to the runner with querySeed(seed, p, r), whatever the concurrency", async () => {
    const records = qwen().slice(0, 5);
    const problems = records.map(prepareProblem);
    const spec = parsePolicySpec("adaptive", "none");
    const seen: Array<[string, number]> = [];
    const inner = virtualRunner({ parallelism: 4, tokensPerSecond: 50 });
    const run: QueryRunner = async (problem, s, mode, seed) => {
      seen.push([problem.record.id, seed]);
      await new Promise((r) => setTimeout(r, Math.random() * 3)); // finish out of order
      return inner(problem, s, mode, seed);
    };
    const serial = await runConfiguration(problems, spec, "waves", { repeats: 3, seed: 9 }, inner);
    const concurrent = await runConfiguration(problems, spec, "waves", { repeats: 3, seed: 9 }, run, 4);
    expect(concurrent).toEqual(serial);
    const expected = problems.flatMap((p, i) => [0, 1, 2].map((r): [string, number] => [p.record.id, querySeed(9, i, r)]));
    expect([...seen].sort()).toEqual([...expected].sort());
  });
});

describe("querySeed", () => {
  it("is deterministic, a positive 32-bit integer, and distinct across problems and repeats", () => {
    const seeds = new Set<number>();
    for (let p = 0; p < 50; p++) {
      for (let r = 0; r < 10; r++) {
        const s = querySeed(1, p, r);
        expect(s).toBe(querySeed(1, p, r));
        expect(Number.isInteger(s) && s > 0 && s < 2 ** 32).toBe(true);
        seeds.add(s);
      }
    }
    expect(seeds.size).toBe(500);
    expect(querySeed(2, 0, 0)).not.toBe(querySeed(1, 0, 0));
  });

  it("seeds exactly as before it was built on @ttc/stats (pinned from the old code)", () => {
    const triples = [
      [1, 0, 0],
      [1, 0, 1],
      [1, 5, 2],
      [42, 49, 19],
      [0, 0, 0],
      // Past 2^53 the linear combination rounds as a double, as it always did.
      [2 ** 31, 3, 1],
      [2 ** 40 + 3, 7, 7],
    ] as const;
    expect(triples.map(([seed, p, r]) => querySeed(seed, p, r))).toEqual([
      2193786397, 2217346914, 3814546002, 3031719868, 1, 3017737238, 2992929602,
    ]);
  });
});

describe("policy specs", () => {
  it("parses name, parameters and verifier", () => {
    expect(parsePolicySpec("adaptive:threshold=0.9@rule", "none")).toEqual({
      label: "adaptive:threshold=0.9@rule",
      name: "adaptive",
      params: { threshold: 0.9 },
      verifier: "rule",
    });
    expect(parsePolicySpec("esc:window=3", "arith")).toEqual({
      label: "esc:window=3",
      name: "esc",
      params: { window: 3 },
      verifier: "arith",
    });
    expect(parsePolicySpec("majority", "none")).toEqual({ label: "majority", name: "majority", params: {}, verifier: "none" });
    expect(parsePolicySpec("adaptive:threshold=0.9,stopOnVerified=1@rule", "none").params).toEqual({ threshold: 0.9, stopOnVerified: 1 });
  });

  it("rejects bad specs with a message naming the bad part", () => {
    expect(() => parsePolicySpec("adaptive:threshold", "none")).toThrow(
      /policy spec "adaptive:threshold": expected name=number, got "threshold"/,
    );
    expect(() => parsePolicySpec("adaptive:threshold=high", "none")).toThrow(/expected name=number, got "threshold=high"/);
    expect(() => parsePolicySpec("adaptive:=0.9", "none")).toThrow(/expected name=number, got "=0.9"/);
    expect(() => parsePolicySpec("nosuch", "none")).toThrow(/unknown policy "nosuch"; known policies: majority, .*adaptive/);
    expect(() => parsePolicySpec("adaptive:window=3", "none")).toThrow(
      /unknown parameter "window" for policy "adaptive"; accepted: threshold/,
    );
    expect(() => parsePolicySpec("majority:k=1", "none")).toThrow(/it takes no parameters/);
    expect(() => parsePolicySpec("adaptive:threshold=2", "none")).toThrow(/threshold/);
    expect(() => parsePolicySpec("esc:window=0", "none")).toThrow(/window/);
  });

  it("rejects a parameter with an empty value instead of reading it as 0", () => {
    expect(() => parsePolicySpec("adaptive:stopOnVerified=", "none")).toThrow(/expected name=number, got "stopOnVerified="/);
    expect(() => parsePolicySpec("adaptive:threshold= ", "none")).toThrow(/expected name=number/);
  });

  it("parses modes and rejects unknown ones", () => {
    expect(parseModes("all-parallel,sequential,waves")).toEqual(["all-parallel", "sequential", "waves"]);
    expect(() => parseModes("waves,parallel")).toThrow('unknown mode "parallel"; known: all-parallel, sequential, waves');
  });
});

describe("report rendering", () => {
  let report: EvalReport;
  it("formatTable has a line per row with its policy, mode and figures", async () => {
    report = await evaluate(
      qwen().slice(0, 6),
      options({
        specs: ["majority", "adaptive:threshold=0.9", "esc:window=3", "majority@arith"].map((s) => parsePolicySpec(s, "none")),
        repeats: 1,
      }),
    );
    expect(report.policies).toHaveLength(1 + 2 + 3 + 3 + 3);
    const table = formatTable(report);
    const lines = table.split("\n");
    expect(lines[0]).toContain("6 problems × 8 recorded branches (qwen-math-maj); tokens counted as cl100k_base");
    expect(lines[1]).toContain("emulated decode 50 tokens/s per branch; waves of up to 4");
    const header = lines.findIndex((l) => l.startsWith("policy"));
    const body = lines.slice(header + 2);
    expect(body).toHaveLength(report.policies.length);
    report.policies.forEach((r, i) => {
      const line = body[i]!;
      expect(line.startsWith(r.policy)).toBe(true);
      expect(line).toContain(r.mode);
      expect(line).toContain(`${r.accuracy.toFixed(3)} [${r.accuracyLow.toFixed(3)}, ${r.accuracyHigh.toFixed(3)}]`);
      expect(line).toContain(r.tokensPerQuery.toFixed(0));
      expect(line).toContain(`${(r.tokensSaved * 100).toFixed(1)}%`);
    });
  });

  it("renderHtml is one self-contained page with an <svg> chart and a table row and a marker per row", () => {
    const html = renderHtml(report, "eval <qwen> & friends");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<title>eval &lt;qwen&gt; &amp; friends</title>");
    expect(html).not.toContain("<script");
    const svg = html.slice(html.indexOf("<svg"), html.indexOf("</svg>") + 6);
    expect(svg.length).toBeGreaterThan(100);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    // One marker per row, each with a tooltip naming it.
    expect(svg.match(/<title>/g)).toHaveLength(report.policies.length);
    for (const r of report.policies) expect(svg).toContain(`<title>${r.policy} × ${r.mode}: accuracy ${r.accuracy.toFixed(3)}`);
    // Markers by mode: circles for all-parallel, squares for sequential, triangles for waves (plus the legend's three).
    const count = (mode: string) => report.policies.filter((r) => r.mode === mode).length;
    expect(svg.match(/<circle /g)).toHaveLength(count("all-parallel") + 1);
    expect(svg.match(/<rect x="[^"]*" y="[^"]*" width="10" height="10" fill="[^"]*"><title>/g)).toHaveLength(count("sequential"));
    // The table: a row per policy × mode.
    const tbody = html.slice(html.indexOf("<tbody>"), html.indexOf("</tbody>"));
    const rows = tbody.match(/<tr>.*<\/tr>/g) ?? [];
    expect(rows).toHaveLength(report.policies.length);
    report.policies.forEach((r, i) => {
      expect(rows[i]).toContain(`<td>${r.policy}</td><td>${r.mode}</td><td>${r.accuracy.toFixed(3)}</td>`);
    });
  });
});

describe("bootstrapInterval", () => {
  it("is seeded and brackets the mean", () => {
    const xs = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1];
    const [lo, hi] = bootstrapInterval(xs, { seed: 3 });
    expect(lo).toBeLessThan(mean(xs));
    expect(hi).toBeGreaterThan(mean(xs));
    expect(bootstrapInterval(xs, { seed: 3 })).toEqual([lo, hi]);
    expect(bootstrapInterval([], {})).toEqual([0, 0]);
  });

  it("bootstraps exactly as before its generator moved to @ttc/stats (pinned from the old code)", () => {
    expect(bootstrapInterval([1, 0, 1, 1, 0, 1, 0.5, 0.25], { seed: 7 })).toEqual([0.28125, 0.875]);
    expect(bootstrapInterval([0.1, 0.9, 0.3], {})).toEqual([0.10000000000000002, 0.9]);
  });
});
