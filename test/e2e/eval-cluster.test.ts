/**
 * `ttc eval` in process against `ttc eval --cluster`: the same queries (same problems, same query
 * seeds, so the same replay orders) go once through the QueryEngine in virtual time and once through
 * the running scheduler, NATS JetStream and replay workers. In sequential mode the order in which
 * branches end is fixed by the seed, not by timing, so both must make the same decisions.
 *
 * Both runners drive the same QueryEngine, so the decision rules cannot drift apart any more; this
 * test is kept as the end-to-end guard of what the engine is fed: that the replay worker sends the
 * chunks the virtual-time adapter emulates (steps, token counts, recorded scores), that the NATS
 * adapter delivers them and the verdicts intact, and that answers read on both sides agree.
 *
 * The corpus: problems of the real Qwen2.5-Math file in ../shared/data (read-only, converted into a
 * temp dir here) chosen to include split votes, plus three hand-built problems: a vote without any
 * agreement over branches of equal length, traces with a wrong equation for the arith verifier, and
 * equal-length branches where the last branch's vote decides the majority.
 */
import { stopReasonLabel } from "@ttc/proto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayOrder, runImporter, writeCorpus, type CorpusBranch, type CorpusRecord } from "@ttc/corpus";
import {
  clusterRunner,
  parsePolicySpec,
  prepareProblem,
  querySeed,
  runConfiguration,
  virtualRunner,
  type ClusterRunner,
  type PreparedProblem,
  type QueryOutcome,
} from "@ttc/eval";
import { answersEquivalent, type ExecutionMode } from "@ttc/policy";
import { startTestCluster, type TestCluster } from "@ttc/test-harness";

const QWEN = fileURLToPath(new URL("../../../shared/data/qwen25-math-cot-maj8.jsonl", import.meta.url));
/** Qwen problems by position in the file: unanimous ones (0, 1, 2) and split votes (3, 14, 27, 34, 35). */
const QWEN_PICK = [0, 1, 2, 3, 14, 27, 34, 35];
const SEED = 7;
const REPEATS = 3;
const PARALLELISM = 4;

/** One 10-token (chars/4) line. */
const line = (text: string): string => `${text.padEnd(39)}\n`;
function handBranch(lines: string[]): CorpusBranch {
  const text = lines.map(line).join("");
  return { text, tokens: text.length / 4 };
}
const handRecord = (id: string, gold: string, branches: CorpusBranch[]): CorpusRecord => ({
  id,
  problem: `Hand-built eval parity problem "${id}": what is the answer?`,
  gold,
  format: "number",
  source: "test",
  tokenCounting: "chars/4",
  branches,
});

/** Four branches of exactly the same length, four different answers: nothing ever settles. */
const flat = handRecord(
  "flat",
  "3",
  ["1", "2", "3", "4"].map((a) => handBranch(["Let me think about it.", "Some more thought.", `The answer is ${a}.`])),
);
/** Three good traces and two with a wrong equation in step 2 (the arith verifier prunes them there). */
const good = (n: number) => handBranch([`We have 2 + 2 = 4 apples (${n}).`, "Then 3 + 4 = 7 apples in total.", "The answer is 7."]);
const bad = (n: number) =>
  handBranch([`We have 2 + 2 = 4 apples (${n}).`, "Then 3 + 4 = 8 apples in total.", "Add one more to that.", "The answer is 9."]);
const slip = handRecord("slip", "7", [good(1), bad(1), good(2), bad(2), good(3)]);
/**
 * Five branches of equal length voting 5, 6, 5, 6, 6 in the replay order of the first repeat (laid out
 * for the query seed of position `index` in the corpus): the last branch's vote decides the majority.
 * Regression: when every branch has the longest length, the scheduler's default token budget
 * (max_branches × max_tokens_per_branch) is reached by the last branch's final progress chunk, which
 * stopped the query (token_budget) before that branch's answer was counted: the cluster answered 5.
 * The cluster runner now sends the budget the in-process run uses (twice the corpus tokens).
 */
function lastVoteDecides(index: number): CorpusRecord {
  const wanted = ["5", "6", "5", "6", "6"].map((a) =>
    handBranch(["Count them carefully.", "Then count them again.", `The answer is ${a}.`]),
  );
  const order = replayOrder(wanted.length, querySeed(SEED, index, 0));
  const branches = new Array<CorpusBranch>(wanted.length);
  order.forEach((recorded, k) => (branches[recorded] = wanted[k]!));
  return handRecord("last-vote-decides", "6", branches);
}

/** The cluster runner reports the proto enum's number; the evaluator the controller's name. */
function stopName(reason: string): string {
  return /^\d+$/.test(reason) ? stopReasonLabel(Number(reason)) : reason;
}

function sameAnswer(problem: PreparedProblem, a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return a === b || answersEquivalent(a, b, problem.format);
}

describe("ttc eval: in process (virtual time) and --cluster make the same decisions", () => {
  let dir: string;
  let problems: PreparedProblem[];
  let c: TestCluster;
  let cluster: ClusterRunner;
  const virtual = virtualRunner({ parallelism: PARALLELISM, tokensPerSecond: 50 });

  beforeAll(async () => {
    if (!existsSync(QWEN))
      throw new Error(`recorded corpus missing: expected it at ${QWEN} (the shared data folder beside the repository)`);
    const qwen = runImporter("qwen-math-maj", readFileSync(QWEN, "utf8"), { origin: QWEN });
    const records = [...QWEN_PICK.map((i) => qwen[i]!), flat, slip];
    records.push(lastVoteDecides(records.length));
    dir = mkdtempSync(join(tmpdir(), "ttc-eval-cluster-"));
    const file = join(dir, "corpus.jsonl");
    await writeCorpus(file, records);
    problems = records.map(prepareProblem);
    c = await startTestCluster({
      workers: 2,
      capacity: 4,
      env: { TTC_WORKER_BACKEND: "replay", TTC_REPLAY_CORPUS: file, TTC_REPLAY_TOKENS_PER_SECOND: "0" },
    });
    cluster = clusterRunner(c.cluster.grpcAddress, { parallelism: PARALLELISM, timeoutMs: 30_000 });
  });
  afterAll(async () => {
    cluster?.close();
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the workers really replay the corpus", () => {
    const workers = c.cluster.services.filter((s) => s.name.startsWith("worker"));
    expect(workers).toHaveLength(2);
    for (const w of workers) expect(w.ready["backend"]).toBe("replay");
  });

  async function both(
    spec: string,
    mode: ExecutionMode,
  ): Promise<Array<{ problem: PreparedProblem; r: number; virtual: QueryOutcome; cluster: QueryOutcome }>> {
    const s = parsePolicySpec(spec, "none");
    const o = { repeats: REPEATS, seed: SEED };
    const [v, k] = await Promise.all([
      runConfiguration(problems, s, mode, o, virtual),
      runConfiguration(problems, s, mode, o, cluster.run, 4),
    ]);
    return problems.flatMap((problem, p) =>
      Array.from({ length: REPEATS }, (_, r) => ({ problem, r, virtual: v[p]![r]!, cluster: k[p]![r]! })),
    );
  }

  for (const spec of ["majority", "adaptive", "esc"]) {
    it(`${spec} × sequential: same answer, correctness, branches, tokens and stop reason per query`, async () => {
      const mismatches: string[] = [];
      const queries = await both(spec, "sequential");
      expect(queries).toHaveLength(problems.length * REPEATS);
      for (const q of queries) {
        const where = `${spec} × sequential, ${q.problem.record.id} repeat ${q.r} (query seed ${querySeed(SEED, problems.indexOf(q.problem), q.r)})`;
        const v = q.virtual;
        const k = q.cluster;
        const diff = (what: string, a: unknown, b: unknown) =>
          mismatches.push(`${where}: ${what} in process ${JSON.stringify(a)}, cluster ${JSON.stringify(b)}`);
        if (!sameAnswer(q.problem, v.answer, k.answer)) diff("answer", v.answer, k.answer);
        if (v.correct !== k.correct) diff("correct", v.correct, k.correct);
        if (k.correct !== q.problem.isCorrect(k.answer)) diff("cluster correctness", k.correct, q.problem.isCorrect(k.answer));
        if (v.branchesLaunched !== k.branchesLaunched) diff("branches launched", v.branchesLaunched, k.branchesLaunched);
        if (v.tokens !== k.tokens) diff("tokens", v.tokens, k.tokens);
        if (v.branchesPruned !== k.branchesPruned) diff("branches pruned", v.branchesPruned, k.branchesPruned);
        if (v.stopReason !== stopName(k.stopReason)) diff("stop reason", v.stopReason, stopName(k.stopReason));
      }
      expect(mismatches).toEqual([]);
      // Not a trivial agreement: wrong answers too, and (but for majority) early stops and full runs.
      expect(queries.some((q) => !q.virtual.correct)).toBe(true);
      const reasons = new Set(queries.map((q) => q.virtual.stopReason));
      expect(reasons).toEqual(new Set(spec === "majority" ? ["all_branches_done"] : ["consensus", "all_branches_done"]));
    });
  }

  it("majority@arith × sequential: the same branches are pruned and the same answer wins", async () => {
    // The pruned branch's tokens depend on how far the worker got before the prune reached it (at
    // unlimited replay speed, usually the whole trace), so only bounds are checked for tokens.
    const mismatches: string[] = [];
    const queries = await both("majority@arith", "sequential");
    for (const q of queries) {
      const where = `majority@arith × sequential, ${q.problem.record.id} repeat ${q.r}`;
      const { virtual: v, cluster: k } = q;
      const total = q.problem.branches.reduce((s, b) => s + b.tokens, 0);
      if (!sameAnswer(q.problem, v.answer, k.answer)) mismatches.push(`${where}: answer ${v.answer} vs ${k.answer}`);
      if (v.branchesLaunched !== k.branchesLaunched) mismatches.push(`${where}: launched ${v.branchesLaunched} vs ${k.branchesLaunched}`);
      if (v.branchesPruned !== k.branchesPruned) mismatches.push(`${where}: pruned ${v.branchesPruned} vs ${k.branchesPruned}`);
      if (!(k.tokens >= v.tokens && k.tokens <= total))
        mismatches.push(`${where}: cluster tokens ${k.tokens} outside [${v.tokens}, ${total}]`);
      if (v.branchesPruned === 0 && v.tokens !== k.tokens)
        mismatches.push(`${where}: tokens ${v.tokens} vs ${k.tokens} with nothing pruned`);
    }
    expect(mismatches).toEqual([]);
    const slipRuns = queries.filter((q) => q.problem.record.id === "slip");
    expect(slipRuns).toHaveLength(REPEATS);
    for (const q of slipRuns) {
      expect(q.cluster.branchesPruned).toBe(2);
      expect(q.cluster.answer).toBe("7");
    }
  });

  for (const [spec, mode] of [
    ["adaptive", "waves"],
    ["majority", "all-parallel"],
  ] as const) {
    it(`${spec} × ${mode} through the cluster: what timing cannot change`, async () => {
      const s = parsePolicySpec(spec, "none");
      const outcomes = await runConfiguration(problems, s, mode, { repeats: 1, seed: SEED }, cluster.run, 4);
      problems.forEach((problem, p) => {
        const k = outcomes[p]![0]!;
        const where = `${spec} × ${mode}, ${problem.record.id}`;
        const answers = problem.branches.map((b) => b.answer).filter((a): a is string => a !== null);
        const total = problem.branches.reduce((sum, b) => sum + b.tokens, 0);
        // A valid answer: one some recorded branch gave, judged like the in-process run judges it.
        expect(k.answer, where).not.toBeNull();
        expect(
          answers.some((a) => sameAnswer(problem, a, k.answer)),
          where,
        ).toBe(true);
        expect(k.correct, where).toBe(problem.isCorrect(k.answer));
        expect(k.tokens, where).toBeGreaterThan(0);
        expect(k.tokens, where).toBeLessThanOrEqual(total);
        expect(k.branchesLaunched, where).toBeLessThanOrEqual(problem.branches.length);
        expect(k.branchesPruned, where).toBe(0);
        if (spec === "majority") {
          // Every branch runs to its end; the answer is one of the most voted (ties may fall either way).
          expect(k.branchesLaunched, where).toBe(problem.branches.length);
          expect(k.tokens, where).toBe(total);
          expect(stopName(k.stopReason), where).toBe("all_branches_done");
          const counts = new Map<string, number>();
          for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
          const top = Math.max(...counts.values());
          expect(
            [...counts].some(([a, n]) => n === top && sameAnswer(problem, a, k.answer)),
            where,
          ).toBe(true);
        }
      });
    });
  }
});
