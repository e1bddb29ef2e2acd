/**
 * Presenting an evaluation: a text table for the terminal and a self-contained HTML page with the
 * accuracy–tokens frontier (inline SVG, no scripts or external files).
 */
import type { EvalReport, EvalRow } from "./evaluate.js";

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The terminal table: one row per policy × mode. */
export function formatTable(report: EvalReport): string {
  const header = [
    "policy",
    "mode",
    "accuracy [95% CI]",
    "tokens/query",
    "saved",
    "latency p50",
    "p95",
    "verifier calls",
    "branches",
    "pruned",
  ];
  const rows = report.policies.map((r) => [
    r.policy,
    r.mode,
    `${r.accuracy.toFixed(3)} [${r.accuracyLow.toFixed(3)}, ${r.accuracyHigh.toFixed(3)}]`,
    r.tokensPerQuery.toFixed(0),
    pct(r.tokensSaved),
    `${r.latencyP50.toFixed(2)}s`,
    `${r.latencyP95.toFixed(2)}s`,
    r.verifierCallsPerQuery.toFixed(1),
    r.branchesPerQuery.toFixed(1),
    r.prunedPerQuery.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const c = report.corpus;
  const s = report.settings;
  return [
    `${c.records} problems × ${c.branchesPerRecord.toFixed(0)} recorded branches (${c.source}); tokens counted as ${c.tokenCounting}`,
    `${s.repeats} seeded replay orders per problem, seed ${s.seed}; ${s.runner === "cluster" ? "replayed through the running cluster" : `emulated decode ${s.tokensPerSecond} tokens/s per branch`}; waves of up to ${s.parallelism}`,
    `latency in ${s.runner === "cluster" ? "wall-clock seconds through the cluster" : "emulated seconds"}; "saved" is against ${report.baseline.policy} × ${report.baseline.mode}`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ].join("\n");
}

const palette = ["#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

/** What the vertical axis shows: accuracy with its interval, or latency p50 with p95 as the bar's top. */
interface Axis {
  label: string;
  value(r: EvalRow): number;
  low(r: EvalRow): number;
  high(r: EvalRow): number;
  format(v: number): string;
}

const accuracyAxis: Axis = {
  label: "accuracy (95% CI)",
  value: (r) => r.accuracy,
  low: (r) => r.accuracyLow,
  high: (r) => r.accuracyHigh,
  format: (v) => v.toFixed(2),
};

const latencyAxis: Axis = {
  label: "latency p50 (bar to p95), s",
  value: (r) => r.latencyP50,
  low: (r) => r.latencyP50,
  high: (r) => r.latencyP95,
  format: (v) => String(Number(v.toPrecision(6))),
};

/** One SVG scatter of a measure against tokens per query, a marker per mode, a colour per policy. */
function frontierSvg(report: EvalReport, title: string, axis: Axis = accuracyAxis): string {
  const W = 720;
  const H = 420;
  const m = { l: 64, r: 250, t: 36, b: 48 };
  const rows = report.policies;
  const tokenStep = niceStep(Math.max(1, ...rows.map((r) => r.tokensPerQuery)) / 5);
  const maxTokens = Math.ceil((Math.max(1, ...rows.map((r) => r.tokensPerQuery)) * 1.02) / tokenStep) * tokenStep;
  const values = rows.flatMap((r) => [axis.low(r), axis.high(r)]);
  const accuracy = axis === accuracyAxis;
  const lo = accuracy ? Math.max(0, Math.floor((Math.min(...values) - 0.02) * 20) / 20) : 0;
  const yStep = accuracy ? 0 : niceStep(Math.max(1e-9, ...values) / 5);
  const hi = accuracy
    ? Math.min(1, Math.ceil((Math.max(...values) + 0.02) * 20) / 20)
    : Math.ceil((Math.max(1e-9, ...values) * 1.02) / yStep) * yStep;
  const x = (t: number) => m.l + (t / maxTokens) * (W - m.l - m.r);
  const y = (a: number) => H - m.b - ((a - lo) / Math.max(1e-9, hi - lo)) * (H - m.t - m.b);
  const policies = [...new Set(rows.map((r) => r.policy))];
  const colour = (p: string) => palette[policies.indexOf(p) % palette.length]!;
  const marker = (r: EvalRow) => {
    const cx = x(r.tokensPerQuery);
    const cy = y(axis.value(r));
    const fill = colour(r.policy);
    const tip = `<title>${esc(r.policy)} × ${r.mode}: accuracy ${r.accuracy.toFixed(3)} [${r.accuracyLow.toFixed(3)}, ${r.accuracyHigh.toFixed(3)}], ${r.tokensPerQuery.toFixed(0)} tokens, p50 ${r.latencyP50.toFixed(2)}s</title>`;
    const bar = `<line x1="${cx}" x2="${cx}" y1="${y(axis.low(r))}" y2="${y(axis.high(r))}" stroke="${fill}" stroke-opacity="0.5"/>`;
    if (r.mode === "sequential") return `${bar}<rect x="${cx - 5}" y="${cy - 5}" width="10" height="10" fill="${fill}">${tip}</rect>`;
    if (r.mode === "waves")
      return `${bar}<path d="M${cx} ${cy - 6} L${cx + 6} ${cy + 5} L${cx - 6} ${cy + 5} Z" fill="${fill}">${tip}</path>`;
    return `${bar}<circle cx="${cx}" cy="${cy}" r="5.5" fill="${fill}">${tip}</circle>`;
  };
  const ticksX = Array.from({ length: Math.round(maxTokens / tokenStep) + 1 }, (_, i) => tokenStep * i);
  const ticksY = accuracy
    ? Array.from({ length: 6 }, (_, i) => lo + ((hi - lo) / 5) * i)
    : Array.from({ length: Math.round(hi / yStep) + 1 }, (_, i) => yStep * i);
  const legend = policies
    .map(
      (p, i) =>
        `<g transform="translate(${W - m.r + 16},${m.t + i * 18})"><rect width="10" height="10" fill="${colour(p)}"/><text x="16" y="9" font-size="11">${esc(p)}</text></g>`,
    )
    .join("");
  const modes = `<g transform="translate(${W - m.r + 16},${m.t + policies.length * 18 + 14})" font-size="11">
    <circle cx="5" cy="5" r="5" fill="#444"/><text x="16" y="9">all-parallel</text>
    <rect x="0" y="18" width="10" height="10" fill="#444"/><text x="16" y="27">sequential</text>
    <path d="M5 36 L11 47 L-1 47 Z" fill="#444"/><text x="16" y="46">waves</text></g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="system-ui, sans-serif">
  <text x="${m.l}" y="20" font-size="14" font-weight="600">${esc(title)}</text>
  <line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/>
  <line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>
  ${ticksX.map((t) => `<text x="${x(t)}" y="${H - m.b + 16}" font-size="10" text-anchor="middle">${Math.round(t)}</text>`).join("")}
  ${ticksY.map((a) => `<text x="${m.l - 6}" y="${y(a) + 3}" font-size="10" text-anchor="end">${axis.format(a)}</text><line x1="${m.l}" x2="${W - m.r}" y1="${y(a)}" y2="${y(a)}" stroke="#eee"/>`).join("")}
  <text x="${(m.l + W - m.r) / 2}" y="${H - 10}" font-size="12" text-anchor="middle">tokens per query (${esc(report.corpus.tokenCounting)})</text>
  <text transform="translate(16,${(m.t + H - m.b) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(axis.label)}</text>
  ${rows.map(marker).join("")}
  ${legend}${modes}
</svg>`;
}

/** A self-contained HTML page: the frontier chart, then the table with every figure. */
export function renderHtml(report: EvalReport, title: string): string {
  const rows = report.policies
    .map(
      (r) =>
        `<tr><td>${esc(r.policy)}</td><td>${r.mode}</td><td>${r.accuracy.toFixed(3)}</td><td>[${r.accuracyLow.toFixed(3)}, ${r.accuracyHigh.toFixed(3)}]</td><td>${r.tokensPerQuery.toFixed(0)}</td><td>${pct(r.tokensSaved)}</td><td>${r.latencyP50.toFixed(2)}</td><td>${r.latencyP95.toFixed(2)}</td><td>${r.verifierCallsPerQuery.toFixed(1)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}td:first-child,td:nth-child(2),th:first-child,th:nth-child(2){text-align:left}pre{font-size:12px;color:#555}</style>
</head><body>
<h1 style="font-size:18px">${esc(title)}</h1>
${frontierSvg(report, "accuracy against tokens per query")}
${frontierSvg(report, "latency against tokens per query", latencyAxis)}
<pre>${esc(formatTable(report).split("\n").slice(0, 3).join("\n"))}</pre>
<table><thead><tr><th>policy</th><th>mode</th><th>accuracy</th><th>95% CI</th><th>tokens/query</th><th>saved</th><th>p50 (s)</th><th>p95 (s)</th><th>verifier calls</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}

/** A round axis step (1, 2 or 5 × 10^k) near `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
