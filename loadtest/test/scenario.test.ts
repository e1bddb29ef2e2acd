import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyFlags, defaultScenario, parseMetricsTarget, parseStage } from "../src/cli.js";
import { loadScenarioFile, parseScenario, ScenarioError, templatesOf, type ScenarioInput } from "../src/mod.js";
import { loadPrompts } from "../src/prompts.js";
import { requestFor } from "../src/request.js";

/** The issues parseScenario reports for `input`. */
function issues(input: unknown): string[] {
  try {
    parseScenario(input);
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  throw new Error("the scenario was accepted");
}

describe("scenario validation", () => {
  it("names the field of every problem", () => {
    const found = issues({
      load: { arrival: "poisson", rate: -1, queries: 1.5 },
      request: { policy: { name: "adaptive", params: { threshold: 2 } }, mode: "fast" },
      mix: [{ weight: 0 }, { prompts: 7 }, { policy: { name: "majority", params: { k: 1 } } }, { verifer: "arith" }],
    });
    expect(found).toHaveLength(8);
    expect(found).toEqual(
      expect.arrayContaining([
        "load.queries: Invalid input: expected int, received number",
        "load.rate: Too small: expected number to be >0",
        "mix[0].weight: Too small: expected number to be >0",
        "mix[1].prompts: expected a list of prompts, {file: PATH}, {replay: CORPUS} or {template: TEXT}",
        'mix[2].policy.params.k: unknown parameter "k" for policy "majority"; it takes no parameters',
        "mix[3].verifer: unknown field",
        "request.mode: expected one of all-parallel, sequential, waves",
        expect.stringMatching(/^request\.policy\.params\.threshold: adaptive threshold must be in \(0\.5, 1\)/),
      ]),
    );
  });

  it("requires a bound, a rate for an open loop, and no rate for a closed one", () => {
    expect(issues({ load: { arrival: "closed", concurrency: 2 } })).toEqual([
      "load.queries: give queries, durationSeconds or stages: a run must be bounded",
    ]);
    expect(issues({ load: { arrival: "constant", queries: 5 } })).toEqual([
      "load.rate: is required for constant arrivals (or give stages)",
    ]);
    expect(issues({ load: { arrival: "closed", rate: 3, queries: 5 } })).toEqual([
      "load.rate: only open-loop arrivals (constant, poisson) have a rate",
    ]);
    expect(issues({ load: { arrival: "poisson", stages: [{ kind: "hold", rate: 1 }] } })).toEqual(["load.stages[0].seconds: is required"]);
    expect(issues({ load: { arrival: "poisson", stages: [{ kind: "jump", rate: 1, seconds: 1 }] } })).toEqual([
      expect.stringMatching(/^load\.stages\[0\]\.kind: /),
    ]);
  });

  it("refuses a name used twice and an unknown policy", () => {
    expect(issues({ mix: [{ name: "a" }, { name: "a" }] })).toEqual(['mix[1].name: "a" is used twice']);
    expect(issues({ request: { policy: { name: "mojority" } } })).toEqual([
      expect.stringMatching(/^request\.policy\.name: expected one of majority, /),
    ]);
  });

  it("applies the defaults: a closed loop of 8 callers and 50 queries, generated prompts, 60 s deadlines", () => {
    const s = parseScenario({});
    expect(s.load).toEqual({ arrival: "closed", concurrency: 8, connections: 1, queries: 50, seed: 1 });
    expect(templatesOf(s)).toEqual([
      { name: "default", weight: 1, prompts: { template: "load query {i}: what is {i} * 7 + 3?" }, deadlineMs: 60_000 },
    ]);
  });

  it("merges each mix entry over the request defaults", () => {
    const s = parseScenario({
      request: { maxBranches: 12, verifier: "arith", policy: { name: "adaptive" } },
      mix: [
        { name: "a", weight: 3 },
        { policy: { name: "majority" }, maxBranches: 4, tenant: "t1" },
      ],
    });
    const [a, b] = templatesOf(s);
    expect(a).toMatchObject({ name: "a", weight: 3, maxBranches: 12, verifier: "arith", policy: { name: "adaptive", params: {} } });
    expect(b).toMatchObject({
      name: "mix[1]",
      weight: 1,
      maxBranches: 4,
      verifier: "arith",
      policy: { name: "majority", params: {} },
      tenant: "t1",
    });
  });
});

describe("scenario files", () => {
  const dir = mkdtempSync(join(tmpdir(), "ttc-scenario-"));

  it("reads YAML, resolves prompt files next to it, and reports a parse error with the file", async () => {
    writeFileSync(join(dir, "prompts.txt"), "first prompt\n\n  second prompt  \n");
    writeFileSync(join(dir, "s.yaml"), "load: { arrival: constant, rate: 2, queries: 4 }\nrequest:\n  prompts: { file: prompts.txt }\n");
    const s = loadScenarioFile(join(dir, "s.yaml"));
    const prompts = await loadPrompts(templatesOf(s)[0]!.prompts);
    expect([0, 1, 2].map((n) => prompts.at(n).text)).toEqual(["first prompt", "second prompt", "first prompt"]);

    writeFileSync(join(dir, "bad.yaml"), "load: { arrival: constant\n");
    expect(() => loadScenarioFile(join(dir, "bad.yaml"))).toThrow(/bad\.yaml: /);
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ load: { arrival: "closed", queries: 0 } }));
    expect(() => loadScenarioFile(join(dir, "bad.json"))).toThrow(/bad\.json: load\.queries: Too small/);
  });

  it("the committed example is valid", () => {
    const s = loadScenarioFile(new URL("../scenarios/sim-mix.yaml", import.meta.url).pathname);
    expect(templatesOf(s).map((t) => t.name)).toEqual(["adaptive-waves", "majority-all-parallel", "esc-sequential"]);
  });

  it("replay prompts are the corpus's problems, with its system prompts and answer formats", async () => {
    const record = (id: string, problem: string) => ({
      id,
      problem,
      system: "Think step by step.",
      gold: "4",
      format: "number",
      source: "test",
      tokenCounting: "cl100k_base",
      branches: [{ text: "2 + 2 = 4. Answer: 4", tokens: 9 }],
    });
    writeFileSync(
      join(dir, "corpus.jsonl"),
      `${[record("a", "What is 2 + 2?"), record("b", "What is 3 + 1?")].map((r) => JSON.stringify(r)).join("\n")}\n`,
    );
    const prompts = await loadPrompts({ replay: join(dir, "corpus.jsonl") });
    expect(prompts.size).toBe(2);
    const [template] = templatesOf(parseScenario({ request: { prompts: { replay: join(dir, "corpus.jsonl") }, maxBranches: 4 } }));
    const request = requestFor(template!, prompts.at(1), 7);
    expect(request).toMatchObject({ prompt: "What is 3 + 1?", systemPrompt: "Think step by step.", maxBranches: 4, seed: 7 });
    expect(request.answerFormat).toBeGreaterThan(0); // the corpus's "number" format, as the enum
  });
});

describe("command-line overrides", () => {
  const scenario: ScenarioInput = {
    load: { arrival: "poisson", rate: 3, durationSeconds: 30 },
    request: { maxBranches: 12, policy: { name: "adaptive", params: { threshold: 0.9 } } },
    mix: [
      { name: "a", maxBranches: 4 },
      { name: "b", policy: { name: "majority", params: {} } },
    ],
  };

  it("apply load flags to the load and request flags to every template", () => {
    const s = parseScenario(applyFlags(scenario, { queries: 10, branches: 6, policy: "esc", param: ["window=3"], timeoutMs: 5000 }));
    expect(s.load).toMatchObject({ arrival: "poisson", rate: 3, durationSeconds: 30, queries: 10 });
    for (const t of templatesOf(s))
      expect(t).toMatchObject({ maxBranches: 6, policy: { name: "esc", params: { window: 3 } }, deadlineMs: 5000 });
  });

  it("a rate or stages make a closed loop open, and replace each other", () => {
    expect(parseScenario(applyFlags(defaultScenario, { rate: 5 })).load).toMatchObject({ arrival: "constant", rate: 5, queries: 50 });
    const staged = parseScenario(applyFlags(scenario, { stage: [parseStage("ramp:1:4:10"), parseStage("spike:9:2")] })).load;
    expect(staged.rate).toBeUndefined();
    expect(staged.stages).toEqual([
      { kind: "ramp", from: 1, to: 4, seconds: 10 },
      { kind: "spike", rate: 9, seconds: 2 },
    ]);
  });

  it("refuse what they cannot read", () => {
    expect(() => applyFlags(scenario, { param: ["x=1"] })).toThrow("--param needs --policy");
    expect(() => parseStage("ramp:1:2")).toThrow("expected ramp:FROM:TO:SECONDS");
    expect(() => parseStage("hold:x:2")).toThrow('--stage hold:x:2: "x" is not a number ≥ 0');
    expect(parseMetricsTarget("scheduler=http://127.0.0.1:9101/metrics")).toEqual({
      name: "scheduler",
      url: "http://127.0.0.1:9101/metrics",
    });
    expect(parseMetricsTarget("http://127.0.0.1:9102/metrics")).toEqual({ name: "127.0.0.1:9102", url: "http://127.0.0.1:9102/metrics" });
    expect(() => parseMetricsTarget("scheduler=nowhere")).toThrow("expected NAME=URL");
  });
});
