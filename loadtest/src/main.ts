#!/usr/bin/env node
/**
 * Closed-loop load generator for a ttc scheduler: C concurrent callers send Q queries in total and the
 * run prints latency percentiles, compute per query and errors by status, and writes them as JSON.
 * Bounded in count and time; it only ever targets the address it is given (loopback in this repo).
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { credentials, status, type ServiceError } from "@grpc/grpc-js";
import { Command } from "commander";
import { SchedulerClient, SolveRequest, type SolveResult } from "@ttc/proto";

interface Sample {
  ok: boolean;
  code: string;
  seconds: number;
  tokens: number;
  wasted: number;
  branches: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function solve(client: SchedulerClient, request: SolveRequest, timeoutMs: number): Promise<SolveResult> {
  return new Promise((resolve, reject) =>
    client.solve(request, { deadline: Date.now() + timeoutMs } as never, (err: ServiceError | null, res?: SolveResult) =>
      err ? reject(err) : resolve(res!),
    ),
  );
}

const program = new Command("ttc-loadtest")
  .option("--addr <host:port>", "scheduler address", "127.0.0.1:50051")
  .option("--queries <n>", "queries in total", (v) => Number(v), 50)
  .option("--concurrency <n>", "queries in flight at once", (v) => Number(v), 8)
  .option("--branches <n>", "max branches per query", (v) => Number(v), 16)
  .option("--policy <name>", "policy", "adaptive")
  .option("--timeout <seconds>", "per-query deadline", (v) => Number(v), 60)
  .option("--out <file>", "JSON report", "loadtest/reports/last.json")
  .parse();

const o = program.opts<{
  addr: string;
  queries: number;
  concurrency: number;
  branches: number;
  policy: string;
  timeout: number;
  out: string;
}>();
const client = new SchedulerClient(o.addr, credentials.createInsecure());
const samples: Sample[] = [];
let next = 0;
const started = performance.now();

async function caller(): Promise<void> {
  while (next < o.queries) {
    const i = next++;
    const t0 = performance.now();
    try {
      const r = await solve(
        client,
        SolveRequest.create({
          prompt: `load query ${i}: what is ${i} * 7 + 3?`,
          maxBranches: o.branches,
          policy: { name: o.policy, params: {} },
          seed: i + 1,
        }),
        o.timeout * 1000,
      );
      samples.push({
        ok: true,
        code: "OK",
        seconds: (performance.now() - t0) / 1000,
        tokens: r.compute!.generatedTokens,
        wasted: r.compute!.wastedTokens,
        branches: r.compute!.branchesLaunched,
      });
    } catch (err) {
      const code = status[(err as ServiceError).code] ?? "UNKNOWN";
      samples.push({ ok: false, code, seconds: (performance.now() - t0) / 1000, tokens: 0, wasted: 0, branches: 0 });
    }
  }
}

await Promise.all(Array.from({ length: o.concurrency }, caller));
const wall = (performance.now() - started) / 1000;
client.close();
const ok = samples.filter((s) => s.ok);
const lat = ok.map((s) => s.seconds).sort((a, b) => a - b);
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
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
  latencySeconds: { p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99), max: lat.at(-1) ?? 0 },
  tokensPerQuery: mean(ok.map((s) => s.tokens)),
  wastedTokensPerQuery: mean(ok.map((s) => s.wasted)),
  branchesPerQuery: mean(ok.map((s) => s.branches)),
};
console.table({
  "queries ok / total": `${ok.length} / ${samples.length}`,
  "queries / s": report.queriesPerSecond.toFixed(2),
  "latency p50 / p95 / p99 (s)": `${report.latencySeconds.p50.toFixed(3)} / ${report.latencySeconds.p95.toFixed(3)} / ${report.latencySeconds.p99.toFixed(3)}`,
  "tokens / query": report.tokensPerQuery.toFixed(0),
  "wasted tokens / query": report.wastedTokensPerQuery.toFixed(0),
  "branches / query": report.branchesPerQuery.toFixed(2),
  errors: JSON.stringify(errors),
});
mkdirSync(dirname(o.out), { recursive: true });
writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`report written to ${o.out}`);
