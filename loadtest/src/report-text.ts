/** The run as text on the terminal: what was run, then the key figures by section. */
import { formatValue, keyFigures } from "./figures.js";
import type { LoadResults } from "./runner.js";

/** A one-line description of the load: arrival model, rate or stages, bounds. */
export function describeLoad(r: LoadResults): string {
  const l = r.scenario.load;
  const shape =
    l.arrival === "closed"
      ? `closed loop, ${l.concurrency} callers`
      : `${l.arrival} arrivals, ${l.stages ? l.stages.map((s) => (s.kind === "ramp" ? `ramp ${s.from}→${s.to}/s ${s.seconds}s` : `${s.kind} ${s.rate}/s ${s.seconds}s`)).join(", ") : `${l.rate}/s`}`;
  const bounds = [
    l.queries !== undefined ? `≤ ${l.queries} queries` : "",
    l.durationSeconds !== undefined ? `≤ ${l.durationSeconds} s` : "",
  ];
  return [shape, ...bounds.filter(Boolean), `seed ${l.seed}`].join("; ");
}

/** The summary table. */
export function formatSummary(r: LoadResults): string {
  const figures = keyFigures(r);
  const width = Math.max(...figures.map((f) => f.label.length));
  const lines = [
    `${r.scenario.name ?? "load test"} against ${r.config.addr}${r.config.interrupted ? " (interrupted)" : ""}`,
    describeLoad(r),
    `templates: ${Object.entries(r.summary.byTemplate)
      .map(([name, t]) => `${name} ${t.answered}/${t.queries}`)
      .join(", ")}`,
  ];
  let group = "";
  for (const f of figures) {
    if (f.group !== group) lines.push("", f.group);
    group = f.group;
    lines.push(`  ${f.label.padEnd(width)}  ${formatValue(f.value, f.unit)}`);
  }
  return lines.join("\n");
}
