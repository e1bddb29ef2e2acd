import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * The benchmark program end to end, in its smoke version: goal 2 (a real scheduler fed by the bench's
 * fake worker) runs once, prints its table and writes its JSON report. Shape only: a benchmark's
 * figures are never judged in a test.
 */
describe("npm run bench --quick", () => {
  it("measures goal 2 and writes the figures as JSON", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "ttc-bench-")), "bench.json");
    const main = fileURLToPath(new URL("../dist/bench/main.js", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [main, "--goal", "2", "--runs", "1", "--quick", "--json-out", out]);
    expect(stdout).toContain("chunks per scheduler CPU-second");

    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report).toMatchObject({ quick: true, runs: 1, machine: { cpus: expect.any(Number) } });
    expect(report.goals).toHaveLength(1);
    const goal = report.goals[0];
    expect(goal).toMatchObject({ goal: 2, title: expect.any(String), method: expect.any(String) });
    expect(goal.error).toBeUndefined();
    expect(goal.runs).toHaveLength(1);
    const figure = goal.figures.find((f: { key: string }) => f.key === "chunksPerCpuSecond");
    expect(figure).toMatchObject({ target: { op: ">=", value: 100_000 }, runs: [expect.any(Number)] });
    expect(figure.median).toBeGreaterThan(0);
    expect(goal.runs[0].details.chunky.chunks).toBeGreaterThan(0);
  });
});
