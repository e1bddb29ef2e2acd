/**
 * `ttc replay QUERY_ID --policy SPEC`: a recorded query decided again under another strategy, from
 * its recorded traces in virtual time: what would have changed and what it would have cost.
 */
import { Option, type Command } from "commander";
import { localSchedulerAddress } from "@ttc/client";
import { parsePolicySpec, replayRecord, type QueryOutcome, type RecordedReplay, type ReplayStrategy } from "@ttc/eval";
import { executionModes, type ExecutionMode } from "@ttc/policy";
import { addConnectionFlags, withScheduler, type ConnectionFlags } from "./connection-flags.js";
import { addJsonOutputOptions, emitOutput, numberFlag, type JsonOutputOptions } from "./flags.js";

interface ReplayOptions extends JsonOutputOptions, ConnectionFlags {
  addr: string;
  policy?: string;
  mode?: ExecutionMode;
  parallelism?: number;
  branches?: number;
  timeoutMs: number;
}

export function registerReplayCommand(program: Command, env: NodeJS.ProcessEnv = process.env): void {
  const command = program
    .command("replay")
    .description("decide a recorded query again under another policy, from its recorded traces in virtual time")
    .argument("<query-id>", "the query_id of a recorded query (see ttc show)")
    .option("--policy <spec>", "name[:param=value,…][@verifier], e.g. adaptive:threshold=0.9@arith (default: the recorded one)")
    .addOption(new Option("--mode <mode>", "execution mode (default: the recorded one)").choices(executionModes))
    .option("--parallelism <n>", "wave width (default: the recorded one)", numberFlag({ integer: true, min: 1 }))
    .option(
      "--branches <n>",
      "branch budget (default: the recorded one; at most the branches recorded)",
      numberFlag({ integer: true, min: 1 }),
    )
    .option("--addr <host:port>", "scheduler gRPC address (TTC_ADDR sets the default)", env["TTC_ADDR"] ?? localSchedulerAddress)
    .option("--timeout-ms <ms>", "deadline of the call", numberFlag({ integer: true, min: 1 }), 30_000)
    .addHelpText("after", "\nExit code: 0 when the replay ran, 2 when the record cannot be read or replayed.");
  addConnectionFlags(command, env);
  addJsonOutputOptions(command, "the comparison").action(async (queryId: string, o: ReplayOptions) => {
    process.exitCode = await runReplay(queryId, o);
  });
}

export function runReplay(queryId: string, o: ReplayOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return withScheduler("replay", o, async (client) => {
    // The strategy is checked before the record is fetched: a bad --policy costs no call.
    const other: Partial<ReplayStrategy> = {
      ...(o.policy ? { policy: parsePolicySpec(o.policy, "none") } : {}),
      ...(o.mode ? { mode: o.mode } : {}),
      ...(o.parallelism ? { parallelism: o.parallelism } : {}),
      ...(o.branches ? { maxBranches: o.branches } : {}),
    };
    const replay = replayRecord(await client.getQuery(queryId), other);
    emitOutput(o, replayToJson(replay, other), () => renderReplay(queryId, replay, other).join("\n"), out);
    return 0;
  });
}

const strategyLabel = (s: ReplayStrategy) =>
  `${s.policy.name}${Object.keys(s.policy.params).length ? ` ${JSON.stringify(s.policy.params)}` : ""}@${s.policy.verifier}, ${s.mode} ×${s.parallelism}, ${s.maxBranches} branches`;

/** The comparison as lines: recorded strategy replayed, the other strategy, and the branches whose fate differs. */
export function renderReplay(queryId: string, r: RecordedReplay, other: Partial<ReplayStrategy>): string[] {
  const otherStrategy = { ...r.recorded, ...other };
  const rows: [string, (x: QueryOutcome) => string][] = [
    ["answer", (x) => x.answer ?? "(none)"],
    ["stop reason", (x) => x.stopReason],
    ["branches launched", (x) => String(x.branchesLaunched)],
    ["branches pruned", (x) => String(x.branchesPruned)],
    ["tokens generated", (x) => String(x.tokens)],
    ["verifier calls", (x) => String(x.verifierCalls)],
    ["decided at (virtual)", (x) => `${x.latency.toFixed(2)} s`],
  ];
  const w = 22;
  const lines = [
    `query ${queryId}: ${r.branches} recorded branches replayed in virtual time at their recorded speeds`,
    `recorded: ${strategyLabel(r.recorded)}`,
    `replayed: ${strategyLabel(otherStrategy)}`,
    "",
    `${"".padEnd(w)}${"recorded strategy".padEnd(w)}replayed strategy`,
    ...rows.map(([label, f]) => `${label.padEnd(w)}${f(r.asRecorded).padEnd(w)}${f(r.replayed)}`),
  ];
  const fates = (x: QueryOutcome) => {
    const m = new Map<number, string>();
    for (const d of x.decisions) {
      if (d.kind === "launch") for (const b of d.branches) m.set(b, "launched");
      else if (d.kind === "prune") m.set(d.branch, `pruned (${d.reason})`);
    }
    return m;
  };
  const [a, b] = [fates(r.asRecorded), fates(r.replayed)];
  const changed = [...new Set([...a.keys(), ...b.keys()])]
    .sort((x, y) => x - y)
    .filter((i) => a.get(i) !== b.get(i))
    .map((i) => `  #${i}: ${a.get(i) ?? "not launched"} → ${b.get(i) ?? "not launched"}`);
  lines.push("", changed.length ? "branches whose fate changes:" : "no branch's fate changes", ...changed);
  const saved = r.asRecorded.tokens - r.replayed.tokens;
  lines.push("", `cost: ${saved >= 0 ? `${saved} tokens fewer` : `${-saved} tokens more`} than the recorded strategy on the same branches`);
  if (r.caveats.length) lines.push("", "caveats:", ...r.caveats.map((c) => `  - ${c}`));
  return lines;
}

function replayToJson(r: RecordedReplay, other: Partial<ReplayStrategy>): Record<string, unknown> {
  return {
    recorded: r.recorded,
    replayedStrategy: { ...r.recorded, ...other },
    asRecorded: r.asRecorded,
    replayed: r.replayed,
    caveats: r.caveats,
    branches: r.branches,
  };
}
