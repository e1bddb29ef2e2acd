/** Two runs side by side: every key figure of either, with the change from the first to the second. */
import { formatValue, keyFigures, type Unit } from "./figures.js";
import type { LoadResults } from "./runner.js";

export interface ComparisonRow {
  group: string;
  label: string;
  unit: Unit;
  /** Undefined where the run has no such figure (an error status that did not occur, a service not scraped). */
  a: number | undefined;
  b: number | undefined;
}

/** The rows of both runs' figures, in the first run's order, each figure only the second has at the end of its section. */
export function compareRuns(a: LoadResults, b: LoadResults): ComparisonRow[] {
  const key = (f: { group: string; label: string }) => `${f.group}\u0000${f.label}`;
  const rows = new Map<string, ComparisonRow>();
  for (const f of keyFigures(a)) rows.set(key(f), { group: f.group, label: f.label, unit: f.unit, a: f.value, b: undefined });
  for (const f of keyFigures(b)) {
    const row = rows.get(key(f));
    if (row) row.b = f.value;
    else rows.set(key(f), { group: f.group, label: f.label, unit: f.unit, a: undefined, b: f.value });
  }
  // A figure only the second run has goes with its section (an error status, a stop reason), not at the end.
  const groups = [...new Set([...rows.values()].map((r) => r.group))];
  return [...rows.values()].sort((x, y) => groups.indexOf(x.group) - groups.indexOf(y.group));
}

/** The change from a to b: a difference for counts, a relative change otherwise; "" when either is missing. */
export function change(row: ComparisonRow): string {
  if (row.a === undefined || row.b === undefined) return "";
  if (row.unit === "count") return row.b === row.a ? "=" : `${row.b > row.a ? "+" : ""}${row.b - row.a}`;
  if (row.a === 0) return row.b === 0 ? "=" : "new";
  const pct = ((row.b - row.a) / Math.abs(row.a)) * 100;
  return Math.abs(pct) < 0.05 ? "=" : `${pct > 0 ? "+" : ""}${pct.toFixed(1)}%`;
}

/** The comparison as a text table with the runs' names as column heads. */
export function formatComparison(rows: readonly ComparisonRow[], names: [string, string]): string {
  const shown = (v: number | undefined, unit: Unit) => (v === undefined ? "–" : formatValue(v, unit));
  const cells = rows.map((r) => [r.label, shown(r.a, r.unit), shown(r.b, r.unit), change(r)]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[["", ...names, "change"][i]!, ...cells.map((c) => c[i]!)].map((s) => s.length)));
  const line = (c: string[]) =>
    `  ${c[0]!.padEnd(widths[0]!)}  ${c[1]!.padStart(widths[1]!)}  ${c[2]!.padStart(widths[2]!)}  ${c[3]!.padStart(widths[3]!)}`;
  const out = [line(["", names[0], names[1], "change"])];
  let group = "";
  rows.forEach((r, i) => {
    if (r.group !== group) out.push(r.group);
    group = r.group;
    out.push(line(cells[i]!));
  });
  return out.join("\n");
}
