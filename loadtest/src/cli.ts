/**
 * The `ttc-loadtest` command: `run` (the default: a scenario file or the flags' load, live progress,
 * JSON and HTML reports), `compare A.json B.json`, and `report RESULTS.json` to redraw a report.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { localSchedulerAddress, numberInRange, type NumberRange } from "@ttc/client";
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from "@ttc/cli";
import { executionModes, policyNames, verifierNames } from "@ttc/policy";
import { answerFormatNames } from "@ttc/proto";
import { compareRuns, formatComparison } from "./compare.js";
import { progressPrinter } from "./progress.js";
import { renderHtmlComparison, renderHtmlReport } from "./report-html.js";
import { readResultsJson, writeResultsJson } from "./report-json.js";
import { formatSummary } from "./report-text.js";
import { runLoad } from "./runner.js";
import { loadScenarioFile, type ScenarioInput, type Stage, type TemplateInput } from "./scenario.js";
import type { MetricsTarget } from "./service-series.js";

/** The run flags, as commander parses them; each one given overrides the scenario. */
export interface RunFlags extends ConnectionFlags {
  addr: string;
  scenario?: string;
  arrival?: "closed" | "constant" | "poisson";
  rate?: number;
  stage?: Stage[];
  queries?: number;
  duration?: number;
  concurrency?: number;
  connections?: number;
  graceSeconds?: number;
  seed?: number;
  branches?: number;
  parallelism?: number;
  policy?: string;
  param?: string[];
  verifier?: string;
  mode?: string;
  format?: string;
  timeoutMs?: number;
  metrics?: MetricsTarget[];
  prometheus?: string;
  json?: boolean;
  jsonOut: string;
  htmlOut: string;
}

/** Without a scenario file: what the first load generator did (8 callers, 50 queries, adaptive, up to 16 branches, 60 s). */
export const defaultScenario: ScenarioInput = {
  name: "default",
  load: { arrival: "closed", concurrency: 8, queries: 50 },
  request: { maxBranches: 16, policy: { name: "adaptive", params: {} }, deadlineMs: 60_000 },
};

/** `scenario` with the flags that were given applied: load flags to `load`, request flags to every template. */
export function applyFlags(scenario: ScenarioInput, f: Omit<RunFlags, "addr" | "jsonOut" | "htmlOut">): ScenarioInput {
  const load = { ...scenario.load };
  if (f.arrival !== undefined) load.arrival = f.arrival;
  if (f.rate !== undefined || f.stage !== undefined) {
    // A rate replaces the scenario's stages and stages its rate; either means an open loop.
    delete load.rate;
    delete load.stages;
    if (f.rate !== undefined) load.rate = f.rate;
    if (f.stage !== undefined) load.stages = f.stage;
    if ((load.arrival ?? "closed") === "closed") load.arrival = "constant";
  }
  if (f.queries !== undefined) load.queries = f.queries;
  if (f.duration !== undefined) load.durationSeconds = f.duration;
  if (f.concurrency !== undefined) load.concurrency = f.concurrency;
  if (f.connections !== undefined) load.connections = f.connections;
  if (f.graceSeconds !== undefined) load.graceSeconds = f.graceSeconds;
  if (f.seed !== undefined) load.seed = f.seed;

  const request: Partial<TemplateInput> = {};
  if (f.branches !== undefined) request.maxBranches = f.branches;
  if (f.parallelism !== undefined) request.parallelism = f.parallelism;
  if (f.verifier !== undefined) request.verifier = f.verifier;
  if (f.mode !== undefined) request.mode = f.mode;
  if (f.format !== undefined) request.answerFormat = f.format;
  if (f.timeoutMs !== undefined) request.deadlineMs = f.timeoutMs;
  if (f.param !== undefined && f.policy === undefined) throw new Error("--param needs --policy: name the policy its parameters are for");
  if (f.policy !== undefined) request.policy = { name: f.policy, params: policyParams(f.param ?? []) };
  // A flag is meant for every query: it replaces what the mix's entries set for the same field.
  const strip = (t: NonNullable<ScenarioInput["mix"]>[number]) =>
    Object.fromEntries(Object.entries(t).filter(([k]) => !(k in request))) as typeof t;
  return {
    ...scenario,
    load,
    request: { ...scenario.request, ...request },
    ...(scenario.mix ? { mix: scenario.mix.map(strip) } : {}),
  };
}

function policyParams(params: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of params) {
    const [, name, value] = /^([^=]+)=(.*)$/.exec(p) ?? [];
    if (name === undefined || value === undefined) throw new Error(`--param ${p}: expected name=number`);
    out[name] = numberInRange(value, {}, `--param ${name}`);
  }
  return out;
}

/** `ramp:FROM:TO:SECONDS`, `hold:RATE:SECONDS` or `spike:RATE:SECONDS`. */
export function parseStage(text: string): Stage {
  const [kind, ...rest] = text.split(":");
  const n = rest.map((v) => numberInRange(v, { min: 0 }, `--stage ${text}`));
  if (kind === "ramp" && n.length === 3) return { kind, from: n[0]!, to: n[1]!, seconds: n[2]! };
  if ((kind === "hold" || kind === "spike") && n.length === 2) return { kind, rate: n[0]!, seconds: n[1]! };
  throw new Error(`--stage ${text}: expected ramp:FROM:TO:SECONDS, hold:RATE:SECONDS or spike:RATE:SECONDS`);
}

/** `name=url`, or a bare URL named by its host:port. */
export function parseMetricsTarget(text: string): MetricsTarget {
  const m = /^([\w.-]+)=(.+)$/.exec(text);
  const url = m ? m[2]! : text;
  try {
    return { name: m ? m[1]! : new URL(url).host, url: new URL(url).toString() };
  } catch {
    throw new Error(`--metrics ${text}: expected NAME=URL, e.g. scheduler=http://127.0.0.1:9101/metrics`);
  }
}

/** A commander parser from a function that throws a readable Error. */
function flag<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

const numberFlag = (range: NumberRange) => flag((v) => numberInRange(v, range));
function repeatable<T>(parse: (v: string) => T): (value: string, previous: T[] | undefined) => T[] {
  const one = flag(parse);
  return (value, previous) => [...(previous ?? []), one(value)];
}

/** Writes a page, creating its folder. */
function writePage(path: string, html: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, html);
}

/** The program; `env` gives `TTC_ADDR`'s default, `out` the terminal. */
export function buildProgram(env: NodeJS.ProcessEnv = process.env, out: NodeJS.WriteStream = process.stdout): Command {
  const program = new Command("ttc-loadtest").description("load generator for a ttc scheduler").showHelpAfterError();
  const runCommand = program
    .command("run", { isDefault: true })
    .description("run a load test (the default command)")
    .option("--addr <host:port>", "scheduler gRPC address (TTC_ADDR sets the default)", env["TTC_ADDR"] ?? localSchedulerAddress)
    .option("--scenario <file>", "scenario file (YAML or JSON); the flags below override it")
    .addOption(new Option("--arrival <model>", "arrival model").choices(["closed", "constant", "poisson"]))
    .option("--rate <qps>", "open loop: queries per second", numberFlag({ min: 0, minExclusive: true }))
    .option(
      "--stage <spec>",
      "open loop: ramp:FROM:TO:SECONDS | hold:RATE:SECONDS | spike:RATE:SECONDS (repeatable, in order)",
      repeatable(parseStage),
    )
    .option("--queries <n>", "queries in total, at most", numberFlag({ integer: true, min: 1 }))
    .option("--duration <seconds>", "seconds of arrivals, at most", numberFlag({ min: 0, minExclusive: true }))
    .option("--concurrency <n>", "closed loop: callers (queries in flight at once)", numberFlag({ integer: true, min: 1 }))
    .option("--connections <n>", "gRPC connections the calls are spread over (default 1)", numberFlag({ integer: true, min: 1, max: 256 }))
    .option(
      "--grace-seconds <s>",
      "after the last arrival, how long calls may still answer before they are cancelled as no reply",
      numberFlag({ min: 0 }),
    )
    .option("--seed <n>", "seed of the arrival times and the mix", numberFlag({ integer: true, min: 0, max: 2 ** 32 - 1 }))
    .option("--branches <n>", "max branches per query", numberFlag({ integer: true, min: 1, max: 2 ** 32 - 1 }))
    .option(
      "--parallelism <n>",
      "branches in flight per query (0 = scheduler default)",
      numberFlag({ integer: true, min: 0, max: 2 ** 32 - 1 }),
    )
    .addOption(new Option("--policy <name>", "policy").choices(policyNames))
    .option("--param <name=value>", "policy parameter (repeatable; with --policy)", (v: string, p: string[] | undefined) => [
      ...(p ?? []),
      v,
    ])
    .addOption(new Option("--verifier <name>", "verifier").choices(verifierNames))
    .addOption(new Option("--mode <mode>", "execution mode").choices(executionModes))
    .addOption(new Option("--format <fmt>", "answer format").choices(answerFormatNames))
    .option("--timeout-ms <ms>", "per-query deadline", numberFlag({ integer: true, min: 1 }))
    .option("--metrics <name=url>", "a service's /metrics endpoint to scrape every second (repeatable)", repeatable(parseMetricsTarget))
    .option("--prometheus <url>", "read the service series from this Prometheus server after the run instead of scraping")
    .option("--json", "print the results as one JSON document on stdout instead of the summary")
    .option("--json-out <file>", "write the results as JSON to this file", "loadtest/reports/last.json")
    .option("--html-out <file>", "write the HTML report to this file", "loadtest/reports/last.html");
  addConnectionFlags(runCommand, env).action(async (flags: RunFlags) => {
    process.exitCode = await run(flags, out);
  });

  program
    .command("compare")
    .description("print two runs side by side")
    .argument("<a>", "results JSON of the first run")
    .argument("<b>", "results JSON of the second run")
    .option("--html <file>", "also write the comparison as an HTML page")
    .action((a: string, b: string, o: { html?: string }) => {
      const [ra, rb] = [readResultsJson(a), readResultsJson(b)];
      const names: [string, string] = [basename(a, ".json"), basename(b, ".json")];
      out.write(`${formatComparison(compareRuns(ra, rb), names)}\n`);
      if (o.html) {
        writePage(o.html, renderHtmlComparison(ra, rb, names));
        out.write(`comparison written to ${o.html}\n`);
      }
    });

  program
    .command("report")
    .description("write the HTML report of a results JSON again")
    .argument("<results>", "results JSON")
    .requiredOption("--html-out <file>", "where to write the report")
    .action((path: string, o: { htmlOut: string }) => {
      writePage(o.htmlOut, renderHtmlReport(readResultsJson(path)));
      out.write(`report written to ${o.htmlOut}\n`);
    });
  return program;
}

/** One run from the flags: progress while it runs, then the reports. Exit code 0 when the run completed, 1 when it could not start. */
async function run(flags: RunFlags, out: NodeJS.WriteStream): Promise<number> {
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort(new Error("interrupted (SIGINT)"));
  process.once("SIGINT", onSigint);
  // With --json, stdout carries the document alone: progress goes to stderr.
  const progress = progressPrinter(flags.json ? process.stderr : out);
  try {
    const scenario = applyFlags(flags.scenario ? loadScenarioFile(flags.scenario) : defaultScenario, flags);
    const results = await runLoad({
      addr: flags.addr,
      connection: connectionOptions(flags),
      scenario,
      metrics: flags.metrics ?? [],
      ...(flags.prometheus !== undefined ? { prometheus: flags.prometheus } : {}),
      onProgress: (p) => progress.update(p),
      signal: interrupt.signal,
    });
    progress.done();
    writeResultsJson(flags.jsonOut, results);
    writePage(flags.htmlOut, renderHtmlReport(results));
    if (flags.json) out.write(`${JSON.stringify(results, null, 2)}\n`);
    else out.write(`\n${formatSummary(results)}\n\nresults written to ${flags.jsonOut}, report to ${flags.htmlOut}\n`);
    return 0;
  } catch (error) {
    progress.done();
    process.stderr.write(`ttc-loadtest: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
