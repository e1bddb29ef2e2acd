/**
 * Scenario files: what load to offer (arrival model, stages, bounds) and which requests to send (a
 * weighted mix of request templates). YAML or JSON, validated with zod; every problem is reported
 * with the field's path, e.g. `mix[1].policy.params.threshold: …`.
 */
import { readFileSync } from "node:fs";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { createPolicy, executionModes, PolicyConfigError, policyNames, verifierNames } from "@ttc/policy";
import { answerFormatNames } from "@ttc/proto";

/** A string that must be one of `names`; the error lists them (the scheduler's own names, imported, never spelled here). */
function oneOf(names: readonly string[]) {
  return z.string().refine((v) => names.includes(v), { error: `expected one of ${names.join(", ")}` });
}

/** The largest run the tool accepts: bounded in count and in time whatever the scenario says. */
export const runLimits = { queries: 1_000_000, seconds: 86_400 } as const;

const rate = z.number().nonnegative().max(100_000);
const stageSeconds = z.number().positive().max(runLimits.seconds);

/** One stage of an open-loop arrival profile: the rate moves linearly over a ramp and stays flat over a hold or a spike. */
const stageSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("ramp"), from: rate, to: rate, seconds: stageSeconds }),
  z.strictObject({ kind: z.literal("hold"), rate, seconds: stageSeconds }),
  // A spike is a hold by another name: the report and the scenario read better when a burst says what it is.
  z.strictObject({ kind: z.literal("spike"), rate, seconds: stageSeconds }),
]);

const loadSchema = z
  .strictObject({
    /** `closed`: `concurrency` callers, each sending its next query when the last one ends; `constant` / `poisson`: open loop at `rate` or along `stages`. */
    arrival: z.enum(["closed", "constant", "poisson"]).default("closed"),
    concurrency: z.int().min(1).max(10_000).default(8),
    /** gRPC connections the calls are spread over, in turn (many callers rather than one multiplexing client). */
    connections: z.int().min(1).max(256).default(1),
    /** Queries per second of an open loop without stages. */
    rate: z.number().positive().max(100_000).optional(),
    stages: z.array(stageSchema).min(1).optional(),
    /** At most this many queries. */
    queries: z.int().min(1).max(runLimits.queries).optional(),
    /** At most this long (seconds of arrivals; open loops with stages default to the stages' total). */
    durationSeconds: z.number().positive().max(runLimits.seconds).optional(),
    /** How long calls may still answer after the last arrival before they are cancelled and counted as no reply. Default: the longest deadline + 2 s. */
    graceSeconds: z.number().nonnegative().max(3_600).optional(),
    /** Seeds the arrival times and the mix's choices (queries are seeded 1, 2, 3… by their index). */
    seed: z
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
  })
  .superRefine((load, ctx) => {
    const open = load.arrival !== "closed";
    if (!open && load.rate !== undefined)
      ctx.addIssue({ code: "custom", path: ["rate"], message: "only open-loop arrivals (constant, poisson) have a rate" });
    if (!open && load.stages !== undefined)
      ctx.addIssue({ code: "custom", path: ["stages"], message: "only open-loop arrivals (constant, poisson) have stages" });
    if (open && load.rate === undefined && load.stages === undefined)
      ctx.addIssue({ code: "custom", path: ["rate"], message: `is required for ${load.arrival} arrivals (or give stages)` });
    if (open && load.rate !== undefined && load.stages !== undefined)
      ctx.addIssue({ code: "custom", path: ["stages"], message: "give either rate or stages, not both" });
    if (load.stages && load.stages.reduce((sum, s) => sum + s.seconds, 0) > runLimits.seconds)
      ctx.addIssue({ code: "custom", path: ["stages"], message: `last more than ${runLimits.seconds} s in all` });
    if (load.queries === undefined && load.durationSeconds === undefined && load.stages === undefined)
      ctx.addIssue({ code: "custom", path: ["queries"], message: "give queries, durationSeconds or stages: a run must be bounded" });
  });

/** Where a template's prompts come from. */
const promptsSchema = z.union(
  [
    z.array(z.string().min(1)).min(1),
    /** One prompt per non-empty line; a relative path is read from the scenario file's folder. */
    z.strictObject({ file: z.string().min(1) }),
    /** The problems of a replay corpus (what `TTC_REPLAY_CORPUS` workers serve), with their system prompts and answer formats. */
    z.strictObject({ replay: z.string().min(1) }),
    /** Generated prompts: `{i}` becomes the template's query number, so every prompt differs. */
    z.strictObject({ template: z.string().min(1) }),
  ],
  { error: "expected a list of prompts, {file: PATH}, {replay: CORPUS} or {template: TEXT}" },
);

/** A policy and its parameters, checked by the scheduler's own code, so a typo fails here rather than as a run of INVALID_ARGUMENT. */
const policySchema = z
  .strictObject({ name: oneOf(policyNames), params: z.record(z.string(), z.number()).default({}) })
  .superRefine((policy, ctx) => {
    if (!(policyNames as readonly string[]).includes(policy.name)) return; // reported by the name's own check
    try {
      createPolicy(policy.name, policy.params);
    } catch (error) {
      if (!(error instanceof PolicyConfigError)) throw error;
      // The error's field starts with "policy.", which is where this schema sits.
      ctx.addIssue({ code: "custom", path: error.field.split(".").slice(1), message: error.message });
    }
  });

const uint32 = z
  .int()
  .min(0)
  .max(2 ** 32 - 1);

/** One kind of request; the scenario's `request` gives the defaults, each `mix` entry overrides them. */
const templateSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** Share of the queries, relative to the other entries' weights. */
  weight: z.number().positive().optional(),
  /** Reserved for multi-tenant runs: stored with each query's result, not sent yet. */
  tenant: z.string().min(1).optional(),
  prompts: promptsSchema.optional(),
  systemPrompt: z.string().optional(),
  model: z.string().optional(),
  policy: policySchema.optional(),
  verifier: oneOf(verifierNames).optional(),
  mode: oneOf(executionModes).optional(),
  answerFormat: oneOf(answerFormatNames).optional(),
  maxBranches: uint32.min(1).optional(),
  parallelism: uint32.optional(),
  maxTokensPerBranch: uint32.optional(),
  tokenBudget: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  /** The call's deadline. */
  deadlineMs: z.int().min(1).max(3_600_000).optional(),
});

const scenarioSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    load: loadSchema.default({ arrival: "closed", concurrency: 8, connections: 1, queries: 50, seed: 1 }),
    request: templateSchema.default({}),
    mix: z.array(templateSchema).min(1).optional(),
  })
  .superRefine((scenario, ctx) => {
    const names = new Set<string>();
    scenario.mix?.forEach((entry, i) => {
      if (entry.name !== undefined && names.has(entry.name))
        ctx.addIssue({ code: "custom", path: ["mix", i, "name"], message: `"${entry.name}" is used twice` });
      if (entry.name !== undefined) names.add(entry.name);
    });
  });

/** A scenario as written (defaults may be left out). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario, defaults applied. */
export type Scenario = z.output<typeof scenarioSchema>;
/** The load part of a validated scenario. */
export type LoadShape = Scenario["load"];
/** One stage of an open-loop arrival profile. */
export type Stage = z.output<typeof stageSchema>;
/** A request template as written in the scenario. */
export type TemplateInput = z.output<typeof templateSchema>;
/** Where a template's prompts come from. */
export type PromptSource = z.output<typeof promptsSchema>;

/** A scenario that is not valid; `issues` holds one `path: message` line per problem. */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
  constructor(
    readonly origin: string,
    readonly issues: string[],
  ) {
    super(issues.length === 1 ? `${origin}: ${issues[0]}` : `${origin}: ${issues.length} problems:\n  ${issues.join("\n  ")}`);
  }
}

/** Validates a scenario object and applies the defaults. @throws ScenarioError listing every problem. */
export function parseScenario(input: unknown, origin = "scenario"): Scenario {
  // reportInput: an issue's input tells a missing field ("is required") from a wrong one.
  const parsed = scenarioSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new ScenarioError(origin, parsed.error.issues.flatMap(describeIssue));
  return parsed.data;
}

/**
 * Reads a scenario file (`.json` as JSON, anything else as YAML), validates it, and makes the paths of
 * its prompt files and corpora absolute, relative to the file's folder.
 * @throws ScenarioError for a file that cannot be read or parsed, or an invalid scenario.
 */
export function loadScenarioFile(path: string): Scenario {
  let raw: unknown;
  try {
    const text = readFileSync(path, "utf8");
    raw = extname(path) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ScenarioError(path, [(error as Error).message]);
  }
  return withPathsFrom(parseScenario(raw, path), dirname(resolve(path)));
}

/** `scenario` with its prompt-file and corpus paths resolved against `dir`. */
function withPathsFrom(scenario: Scenario, dir: string): Scenario {
  const fix = (t: TemplateInput): TemplateInput => {
    const p = t.prompts;
    if (p && !Array.isArray(p) && "file" in p) return { ...t, prompts: { file: absolute(p.file, dir) } };
    if (p && !Array.isArray(p) && "replay" in p) return { ...t, prompts: { replay: absolute(p.replay, dir) } };
    return t;
  };
  return { ...scenario, request: fix(scenario.request), ...(scenario.mix ? { mix: scenario.mix.map(fix) } : {}) };
}

function absolute(path: string, dir: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}

/** The default prompts: every query its own arithmetic question, as the first load generator sent. */
export const defaultPrompts: PromptSource = { template: "load query {i}: what is {i} * 7 + 3?" };

/** The default deadline of a query. */
export const defaultDeadlineMs = 60_000;

/** A request template with the scenario's defaults merged in and a name. */
export interface TemplateSpec extends Omit<TemplateInput, "name" | "weight" | "prompts" | "deadlineMs"> {
  name: string;
  weight: number;
  prompts: PromptSource;
  deadlineMs: number;
}

/** The scenario's templates: each `mix` entry over `request` (or `request` alone), named and weighted. */
export function templatesOf(scenario: Scenario): TemplateSpec[] {
  const entries = scenario.mix ?? [{}];
  return entries.map((entry, i) => {
    const merged = { ...scenario.request, ...entry };
    return {
      ...merged,
      name: entry.name ?? (scenario.mix ? `mix[${i}]` : (scenario.request.name ?? "default")),
      weight: entry.weight ?? 1,
      prompts: merged.prompts ?? defaultPrompts,
      deadlineMs: merged.deadlineMs ?? defaultDeadlineMs,
    };
  });
}

/** One zod issue as `path: message` lines, with "is required" and "unknown field" in plain words. */
function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === "unrecognized_keys") return issue.keys.map((k) => `${fieldPath([...issue.path, k])}: unknown field`);
  const path = fieldPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  const message = issue.code === "invalid_type" && input === undefined ? "is required" : issue.message;
  return [path === "" ? message : `${path}: ${message}`];
}

/** `mix[1].policy.params` from `["mix", 1, "policy", "params"]`. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out;
}
