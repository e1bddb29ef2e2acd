/**
 * @ttc/loadtest: the load generator as a library. `runLoad(options)` runs one load test against a
 * scheduler and returns the results document; the reports are written from it. A benchmark program
 * calls it without the CLI:
 *
 * @example
 * const results = await runLoad({ addr: "127.0.0.1:50051", scenario: loadScenarioFile("loadtest/scenarios/sim-mix.yaml") });
 * writeResultsJson("out.json", results);
 * writeFileSync("out.html", renderHtmlReport(results));
 */
export { runLoad } from "./runner.js";
export type { LoadOptions, LoadResults } from "./runner.js";
export { loadScenarioFile, parseScenario, runLimits, ScenarioError, templatesOf } from "./scenario.js";
export type { LoadShape, PromptSource, Scenario, ScenarioInput, Stage, TemplateInput, TemplateSpec } from "./scenario.js";
export { arrivalSchedule, inverseIntensity, stagesOf, weightedPicker } from "./arrival.js";
export type { ArrivalSchedule } from "./arrival.js";
export { NO_REPLY, OK } from "./recorder.js";
export type { Progress, QueryRecord, QueryResultFacts } from "./recorder.js";
export { timeSeries } from "./time-series.js";
export type { TimeSeries } from "./time-series.js";
export { latencySummary, summarize } from "./summary.js";
export type { LatencySummary, LoadSummary, TemplateSummary } from "./summary.js";
export type { MetricsTarget, Point, ServiceSeries, ServiceSummary } from "./service-series.js";
export { keyFigures, formatValue } from "./figures.js";
export type { Figure, Unit } from "./figures.js";
export { compareRuns, formatComparison } from "./compare.js";
export type { ComparisonRow } from "./compare.js";
export { formatSummary } from "./report-text.js";
export { renderHtmlComparison, renderHtmlReport } from "./report-html.js";
export { readResultsJson, writeResultsJson } from "./report-json.js";
export { progressLine, progressPrinter } from "./progress.js";
