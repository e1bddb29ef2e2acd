/** The benchmark table: one line per figure, goal / figure / measured (min / median / max) / target / met. */
import { formatMeasured, formatTarget } from "./goal.js";
import type { BenchReport } from "./run-bench.js";

export function formatReport(report: BenchReport): string {
  const rows = [["goal", "figure", report.runs > 1 ? "measured (min / median / max)" : "measured", "target", "met"]];
  for (const g of report.goals) {
    if (g.error) rows.push([String(g.goal), `${g.title}: could not run (see the JSON report)`, "–", "–", "–"]);
    for (const f of g.figures) {
      const met = f.met === null ? "–" : f.met ? "yes" : "NO";
      rows.push([String(g.goal), f.label, formatMeasured(f, f), formatTarget(f), met]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const header = report.quick ? "quick smoke run: figures not meant to be judged\n" : "";
  return `${header}${line(rows[0]!)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${rows.slice(1).map(line).join("\n")}`;
}
