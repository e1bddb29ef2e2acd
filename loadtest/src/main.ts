#!/usr/bin/env node
/**
 * Closed-loop load generator for a ttc scheduler: C concurrent callers send Q queries in total and the
 * run prints latency percentiles (interpolated, as the evaluator computes them), compute per query and
 * errors by status, and writes them as JSON.
 * Bounded in count and time; it only ever targets the address it is given (loopback in this repo).
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { localSchedulerAddress, numberInRange, status, TtcClient, TtcError, type NumberRange } from "@ttc/client";
import { mean, quantile } from "@ttc/stats";

interface Sample {
  ok: boolean;
  code: string;
  seconds: number;
  tokens: number;
  wasted: number;
  branches: number;
}

/** A numeric flag in `range`, checked by the same reader as `ttc`'s flags (commander names the flag). */
function count(range: NumberRange): (value: string) => number {
  return (value) => {
    try {
      return numberInRange(value, range);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

const program = new Command("ttc-loadtest")
  .option("--addr <host:port>", "scheduler gRPC address (TTC_ADDR sets the default)", process.env["TTC_ADDR"] ?? localSchedulerAddress)
  .option("--queries <n>", "queries in total", count({ integer: true, min: 1 }), 50)
  .option("--concurrency <n>", "queries in flight at once", count({ integer: true, min: 1 }), 8)
  .option("--branches <n>", "max branches per query", count({ integer: true, min: 1, max: 2 ** 32 - 1 }), 16)
  .option("--policy <name>", "policy", "adaptive")
  .option("--timeout-ms <ms>", "per-query deadline", count({ integer: true, min: 1 }), 60_000)
  .option("--json", "print the report as one JSON document on stdout instead of the table")
  .option("--json-out <file>", "write the report as JSON to this file", "loadtest/reports/last.json")
  .parse();

const o = program.opts<{
  addr: string;
  queries: number;
  concurrency: number;
  branches: number;
  policy: string;
  timeoutMs: number;
  json?: boolean;
  jsonOut: string;
}>();
// No retries: a refused query is a measurement (an error by status), not something to hide.
const client = new TtcClient(o.addr, { timeoutMs: o.timeoutMs, retry: { maxAttempts: 1 } });
const samples: Sample[] = [];
let next = 0;
const started = performance.now();

async function caller(): Promise<void> {
  while (next < o.queries) {
    const i = next++;
    const t0 = performance.now();
    try {
      const r = await client.solve({
        prompt: `load query ${i}: what is ${i} * 7 + 3?`,
        maxBranches: o.branches,
        policy: { name: o.policy, params: {} },
        seed: i + 1,
      });
      samples.push({
        ok: true,
        code: "OK",
        seconds: (performance.now() - t0) / 1000,
        tokens: r.compute!.generatedTokens,
        wasted: r.compute!.wastedTokens,
        branches: r.compute!.branchesLaunched,
      });
    } catch (err) {
      const code = err instanceof TtcError ? status[err.code] : "UNKNOWN";
      samples.push({ ok: false, code, seconds: (performance.now() - t0) / 1000, tokens: 0, wasted: 0, branches: 0 });
    }
  }
}

await Promise.all(Array.from({ length: o.concurrency }, caller));
const wall = (performance.now() - started) / 1000;
client.close();
const ok = samples.filter((s) => s.ok);
const lat = ok.map((s) => s.seconds).sort((a, b) => a - b);
const errors: Record<string, number> = {};
for (const s of samples) if (!s.ok) errors[s.code] = (errors[s.code] ?? 0) + 1;
const report = {
  addr: o.addr,
  queries: o.queries,
  concurrency: o.concurrency,
  branches: o.branches,
  policy: o.policy,
  wallSeconds: wall,
  queriesPerSecond: samples.length / wall,
  ok: ok.length,
  errors,
  latencySeconds: { p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), p99: quantile(lat, 0.99), max: lat.at(-1) ?? 0 },
  tokensPerQuery: mean(ok.map((s) => s.tokens)),
  wastedTokensPerQuery: mean(ok.map((s) => s.wasted)),
  branchesPerQuery: mean(ok.map((s) => s.branches)),
};
mkdirSync(dirname(o.jsonOut), { recursive: true });
writeFileSync(o.jsonOut, `${JSON.stringify(report, null, 2)}\n`);
if (o.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.table({
    "queries ok / total": `${ok.length} / ${samples.length}`,
    "queries / s": report.queriesPerSecond.toFixed(2),
    "latency p50 / p95 / p99 (s)": `${report.latencySeconds.p50.toFixed(3)} / ${report.latencySeconds.p95.toFixed(3)} / ${report.latencySeconds.p99.toFixed(3)}`,
    "tokens / query": report.tokensPerQuery.toFixed(0),
    "wasted tokens / query": report.wastedTokensPerQuery.toFixed(0),
    "branches / query": report.branchesPerQuery.toFixed(2),
    errors: JSON.stringify(errors),
  });
  console.log(`report written to ${o.jsonOut}`);
}
