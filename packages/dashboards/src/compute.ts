/**
 * The compute dashboard: what the queries cost in tokens, how much of it was wasted or saved, what the
 * verifier did, and how fast cancels stop GPU work. What a fleet is sized from.
 */
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { metricNames } from "@ttc/common";
import { stat, timeseries, ttcDashboard } from "./panels.js";

const s = metricNames.scheduler;
const w = metricNames.worker;
/** The mean of a per-query histogram over the window: its sum's rate over its count's. */
const perQuery = (histogram: string) =>
  `sum(rate(${histogram}_sum[$__rate_interval])) / clamp_min(sum(rate(${histogram}_count[$__rate_interval])), 1e-9)`;

export function computeDashboard() {
  return ttcDashboard(
    "ttc / compute",
    "ttc-compute",
    "Tokens generated and wasted, per query and per second, branches launched and pruned, prefix-cache reuse, verifier calls, and cancel-to-stop latency.",
  )
    .withRow(new RowBuilder("Now"))
    .withPanel(
      stat("Tokens / s", "Generated tokens per second, every branch and attempt.", "short", {
        expr: `sum(rate(${s.generatedTokens}[$__rate_interval]))`,
        legend: "tokens/s",
      }),
    )
    .withPanel(
      stat("Waste ratio", "Share of generated tokens spent on branches that were pruned, cancelled, failed or lost.", "percentunit", {
        expr: `sum(rate(${s.wastedTokens}[$__rate_interval])) / clamp_min(sum(rate(${s.generatedTokens}[$__rate_interval])), 1e-9)`,
        legend: "wasted",
      }),
    )
    .withPanel(
      stat("Tokens per query", "Mean generated tokens per query.", "short", {
        expr: perQuery(s.queryGeneratedTokens),
        legend: "tokens/query",
      }),
    )
    .withPanel(
      stat("Branches per query", "Mean branches launched per query.", "short", {
        expr: perQuery(s.queryBranchesLaunched),
        legend: "branches/query",
      }),
    )
    .withRow(new RowBuilder("Tokens"))
    .withPanel(
      timeseries("Tokens per second", "Generated, wasted, and prompt tokens served from the engines' prefix caches.", "short", [
        { expr: `sum(rate(${s.generatedTokens}[$__rate_interval]))`, legend: "generated" },
        { expr: `sum(rate(${s.wastedTokens}[$__rate_interval]))`, legend: "wasted" },
        { expr: `sum(rate(${s.cachedPromptTokens}[$__rate_interval]))`, legend: "cached prompt" },
      ]),
    )
    .withPanel(
      timeseries("Tokens per query", "Generated and wasted tokens per query: mean and p90.", "short", [
        { expr: perQuery(s.queryGeneratedTokens), legend: "generated, mean" },
        {
          expr: `histogram_quantile(0.9, sum by (le) (rate(${s.queryGeneratedTokens}_bucket[$__rate_interval])))`,
          legend: "generated, p90",
        },
        { expr: perQuery(s.queryWastedTokens), legend: "wasted, mean" },
      ]),
    )
    .withPanel(
      timeseries("Branches per query", "Launched and pruned branches per query (mean): how early the policy stops.", "short", [
        { expr: perQuery(s.queryBranchesLaunched), legend: "launched" },
        { expr: perQuery(s.queryBranchesPruned), legend: "pruned" },
      ]),
    )
    .withPanel(
      timeseries("Tokens per second by worker", "What each worker generates.", "short", [
        { expr: `sum by (pod, instance) (rate(${w.generatedTokens}[$__rate_interval]))`, legend: "{{pod}}{{instance}}" },
      ]),
    )
    .withRow(new RowBuilder("Verifier and cancels"))
    .withPanel(
      timeseries("Verifier calls", "Calls per second by verifier, and failed calls (traces left unscored).", "reqps", [
        { expr: `sum by (verifier) (rate(${s.verifierCalls}[$__rate_interval]))`, legend: "{{verifier}}" },
        { expr: `sum(rate(${s.verifierErrors}[$__rate_interval])) or vector(0)`, legend: "errors" },
      ]),
    )
    .withPanel(
      timeseries(
        "Cancel → stop",
        "Seconds from a cancel reaching a worker to generation stopping (p50, p99), and from the scheduler's cancel to the worker's last chunk (p99).",
        "s",
        [
          { expr: `histogram_quantile(0.5, sum by (le) (rate(${w.cancelToStop}_bucket[$__rate_interval])))`, legend: "worker p50" },
          { expr: `histogram_quantile(0.99, sum by (le) (rate(${w.cancelToStop}_bucket[$__rate_interval])))`, legend: "worker p99" },
          { expr: `histogram_quantile(0.99, sum by (le) (rate(${s.stopToAckSeconds}_bucket[$__rate_interval])))`, legend: "scheduler p99" },
        ],
      ),
    );
}
