/**
 * The HTML report: one self-contained file (chart.js inlined from node_modules, the data embedded, no
 * network) with the summary table and the charts of `report-charts.ts`. Once it has drawn them the
 * page sets `window.__reportReady = { charts, empty }`, which the browser test reads.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { change, compareRuns } from "./compare.js";
import { formatValue, keyFigures, type Figure } from "./figures.js";
import { comparisonCharts, reportCharts, type ChartPlan } from "./report-charts.js";
import { describeLoad } from "./report-text.js";
import { templatesOf } from "./scenario.js";
import type { LoadResults } from "./runner.js";

/** The report of one run. */
export function renderHtmlReport(r: LoadResults): string {
  const name = r.scenario.name ?? "load test";
  const services = r.services.series
    .filter((s) => s.failures > 0)
    .map(
      (s) => `<p class="warn">${esc(s.name)}: ${s.failures} of ${s.samples + s.failures} scrapes failed (${esc(s.lastError ?? "")})</p>`,
    );
  const intro = [
    `<p>${esc(r.scenario.description ?? "")}</p>`,
    `<p class="meta">against <code>${esc(r.config.addr)}</code>, started ${esc(r.startedAt)}; ${esc(describeLoad(r))}; grace ${r.config.graceSeconds.toFixed(1)} s` +
      `${r.config.interrupted ? "; <b>interrupted</b>" : ""}; service metrics: ${esc(r.services.source)}</p>`,
    ...(r.services.error ? [`<p class="warn">service metrics: ${esc(r.services.error)}</p>`] : []),
    ...services,
    figuresTable(keyFigures(r)),
    templatesTable(r),
  ].join("\n");
  return renderChartPage(`ttc load test: ${name}`, intro, reportCharts(r));
}

/** Two runs side by side: the figures with their change, and their series over time on shared charts. */
export function renderHtmlComparison(a: LoadResults, b: LoadResults, names: [string, string]): string {
  const rows = compareRuns(a, b)
    .map((row) => {
      const cell = (v: number | undefined) => (v === undefined ? "–" : esc(formatValue(v, row.unit)));
      return `<tr><td>${esc(row.group)}</td><td>${esc(row.label)}</td><td class="n">${cell(row.a)}</td><td class="n">${cell(row.b)}</td><td class="n">${esc(change(row))}</td></tr>`;
    })
    .join("\n");
  const intro = [
    `<p class="meta">${esc(names[0])}: ${esc(describeLoad(a))}<br>${esc(names[1])}: ${esc(describeLoad(b))}</p>`,
    `<table><thead><tr><th></th><th></th><th>${esc(names[0])}</th><th>${esc(names[1])}</th><th>change</th></tr></thead><tbody>${rows}</tbody></table>`,
  ].join("\n");
  return renderChartPage(`ttc load test: ${names[0]} vs ${names[1]}`, intro, comparisonCharts(a, b, names));
}

/** The key figures, one small table per section, side by side. */
function figuresTable(figures: readonly Figure[]): string {
  const groups = new Map<string, Figure[]>();
  for (const f of figures) groups.set(f.group, [...(groups.get(f.group) ?? []), f]);
  const tables = [...groups].map(([group, fs]) => {
    const rows = fs.map((f) => `<tr><td>${esc(f.label)}</td><td class="n">${esc(formatValue(f.value, f.unit))}</td></tr>`);
    return `<table><caption>${esc(group)}</caption><tbody>${rows.join("")}</tbody></table>`;
  });
  return `<div class="figures">${tables.join("\n")}</div>`;
}

function templatesTable(r: LoadResults): string {
  const specs = templatesOf(r.scenario);
  const rows = specs.map((spec) => {
    const t = r.summary.byTemplate[spec.name];
    const errors = Object.entries(t?.errors ?? {})
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    const cells = [
      spec.name,
      String(spec.weight),
      spec.tenant ?? "",
      spec.policy ? `${spec.policy.name} ${JSON.stringify(spec.policy.params)}` : "default",
      spec.mode ?? "default",
      spec.verifier ?? "default",
    ].map((c) => `<td>${esc(c)}</td>`);
    const figures = t
      ? [
          String(t.queries),
          String(t.answered),
          errors,
          formatValue(t.latencySeconds.p50, "seconds"),
          formatValue(t.latencySeconds.p95, "seconds"),
          formatValue(t.tokensPerQuery, "tokens"),
        ]
      : ["0", "0", "", "", "", ""];
    return `<tr>${cells.join("")}${figures.map((c, i) => `<td${i === 2 ? "" : ' class="n"'}>${esc(c)}</td>`).join("")}</tr>`;
  });
  const heads = [
    "template",
    "weight",
    "tenant",
    "policy",
    "mode",
    "verifier",
    "queries",
    "answered",
    "errors",
    "p50",
    "p95",
    "tokens / query",
  ];
  return `<h2>Request templates</h2><table><thead><tr>${heads.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows.join("\n")}</tbody></table>`;
}

/** A page of charts: the title, an HTML introduction, and the plan's charts in a grid (what the reports and the dashboard snapshots share). */
export function renderChartPage(title: string, intro: string, plan: ChartPlan): string {
  const sections = plan.charts.map(
    (c) =>
      `<section><h3>${esc(c.title)}</h3><p class="note">${esc(c.note)}</p><div class="chart"><canvas id="chart-${esc(c.id)}"></canvas></div></section>`,
  );
  const empties = plan.empty.map(
    (e) => `<section class="empty"><h3>${esc(e.title)}</h3><p class="note">not drawn: ${esc(e.reason)}</p></section>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>${style}</style>
</head>
<body>
<h1>${esc(title)}</h1>
${intro}
<h2>Charts</h2>
<div class="grid">
${[...sections, ...empties].join("\n")}
</div>
<script>${inlineScript(chartJsSource())}</script>
<script id="report-data" type="application/json">${inlineJson(plan)}</script>
<script>${pageScript}</script>
</body>
</html>
`;
}

/** Draws every chart of the embedded plan, then tells whoever waits (the browser test) what it drew. */
const pageScript = `
const plan = JSON.parse(document.getElementById("report-data").textContent);
const palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569", "#ea580c"];
let drawn = 0;
for (const spec of plan.charts) {
  const datasets = spec.datasets.map((d, i) => ({
    label: d.label,
    data: d.data,
    yAxisID: d.right ? "y2" : "y",
    borderColor: palette[i % palette.length],
    backgroundColor: spec.kind === "bar" ? palette[i % palette.length] : palette[i % palette.length] + "33",
    borderWidth: spec.kind === "bar" ? 0 : 1.5,
    pointRadius: spec.kind === "bar" ? 0 : 1.5,
  }));
  const stacked = Boolean(spec.y.stacked);
  const scales = {
    x: spec.x.time
      ? { type: "linear", min: 0, max: spec.x.max, stacked, title: { display: true, text: "seconds since start" } }
      : { type: "category", title: { display: true, text: spec.x.title } },
    y: { beginAtZero: true, stacked, title: { display: true, text: spec.y.title } },
  };
  if (spec.y2) scales.y2 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: spec.y2 } };
  new Chart(document.getElementById("chart-" + spec.id), {
    type: spec.kind,
    data: spec.x.time ? { datasets } : { labels: spec.x.labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      scales,
    },
  });
  drawn++;
}
window.__reportReady = { charts: drawn, empty: plan.empty.map((e) => e.id) };
`;

const style = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1e293b; max-width: 1400px; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 18px; margin: 24px 0 8px; } h3 { font-size: 15px; margin: 0 0 4px; }
.meta, .note { color: #475569; } .note { font-size: 12px; margin: 0 0 6px; } .warn { color: #b45309; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border-bottom: 1px solid #e2e8f0; padding: 3px 10px; text-align: left; white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: flex-start; }
caption { text-align: left; font-weight: 600; padding: 4px 10px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(620px, 1fr)); gap: 16px; }
section { border: 1px solid #e2e8f0; border-radius: 6px; padding: 12px; }
section.empty { color: #64748b; }
.chart { position: relative; height: 280px; }
`;

/** chart.js's UMD bundle from node_modules (its package exports do not list it, so it is found next to the main entry). */
function chartJsSource(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve("chart.js")), "chart.umd.min.js"), "utf8");
}

/** Script text safe inside `<script>`: a literal `</script` would end the element. */
function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, "<\\/script");
}

/** JSON safe inside `<script>`: no `<` can open a tag. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
