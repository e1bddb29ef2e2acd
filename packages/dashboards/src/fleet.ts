/**
 * The fleet dashboard: is the service up and answering, how fast, and is the fleet keeping up.
 */
import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { metricNames } from "@ttc/common";
import { stat, timeseries, ttcDashboard } from "./panels.js";

const s = metricNames.scheduler;
const w = metricNames.worker;
const failed = `outcome!~"answered|no_answer"`;

export function fleetDashboard() {
  return ttcDashboard(
    "ttc / fleet",
    "ttc-fleet",
    "Queries, latency, failures, in-flight work, task-queue lag and the worker fleet of one ttc release.",
  )
    .withRow(new RowBuilder("Now"))
    .withPanel(
      stat("Queries / s", "Queries ended per second, any outcome.", "reqps", {
        expr: `sum(rate(${s.queries}[$__rate_interval]))`,
        legend: "queries/s",
      }),
    )
    .withPanel(
      stat("In flight", "Queries running now, over every scheduler.", "short", { expr: `sum(${s.queriesInFlight})`, legend: "in flight" }),
    )
    .withPanel(
      stat("Live workers", "Workers sending ready heartbeats (as the schedulers see them).", "short", {
        expr: `max(${s.liveWorkers})`,
        legend: "workers",
      }),
    )
    .withPanel(
      stat("Engines ready", "Share of workers whose engine answers its health check.", "percentunit", {
        expr: `sum(${w.engineReady}) / count(${w.engineReady})`,
        legend: "ready",
      }),
    )
    .withRow(new RowBuilder("Queries"))
    .withPanel(
      timeseries(
        "Answered vs failed",
        "Queries ended per second by outcome (answered, no_answer, cancelled, deadline_exceeded, unavailable, …).",
        "reqps",
        [{ expr: `sum by (outcome) (rate(${s.queries}[$__rate_interval]))`, legend: "{{outcome}}" }],
      ),
    )
    .withPanel(
      timeseries("Latency", "Seconds from accepting a query to answering it.", "s", [
        { expr: `histogram_quantile(0.5, sum by (le) (rate(${s.queryDuration}_bucket[$__rate_interval])))`, legend: "p50" },
        { expr: `histogram_quantile(0.9, sum by (le) (rate(${s.queryDuration}_bucket[$__rate_interval])))`, legend: "p90" },
        { expr: `histogram_quantile(0.99, sum by (le) (rate(${s.queryDuration}_bucket[$__rate_interval])))`, legend: "p99" },
      ]),
    )
    .withPanel(
      timeseries(
        "Queue wait and first token",
        "Seconds until a worker picked up a query's first branch, and until its first generated tokens (p50, p99).",
        "s",
        [
          { expr: `histogram_quantile(0.5, sum by (le) (rate(${s.queryQueueWait}_bucket[$__rate_interval])))`, legend: "queue wait p50" },
          { expr: `histogram_quantile(0.99, sum by (le) (rate(${s.queryQueueWait}_bucket[$__rate_interval])))`, legend: "queue wait p99" },
          { expr: `histogram_quantile(0.5, sum by (le) (rate(${s.queryFirstToken}_bucket[$__rate_interval])))`, legend: "first token p50" },
          {
            expr: `histogram_quantile(0.99, sum by (le) (rate(${s.queryFirstToken}_bucket[$__rate_interval])))`,
            legend: "first token p99",
          },
        ],
      ),
    )
    .withPanel(
      timeseries(
        "Why queries stopped",
        "Queries per second by stop reason (consensus, all_branches_done, token_budget, deadline, …) and policy.",
        "reqps",
        [{ expr: `sum by (stop_reason, policy) (rate(${s.queryStops}[$__rate_interval]))`, legend: "{{policy}}: {{stop_reason}}" }],
      ),
    )
    .withPanel(
      timeseries("Failure ratio", "Share of queries ending without an answer the caller can use.", "percentunit", [
        {
          // No failed outcome yet means no such series: 0, not "no data".
          expr: `(sum(rate(${s.queries}{${failed}}[$__rate_interval])) or vector(0)) / clamp_min(sum(rate(${s.queries}[$__rate_interval])), 1e-9)`,
          legend: "failed",
        },
      ]),
    )
    .withPanel(
      timeseries("In flight", "Queries running, per scheduler.", "short", [
        { expr: `sum by (pod, instance) (${s.queriesInFlight})`, legend: "{{pod}}{{instance}}" },
      ]),
    )
    .withRow(new RowBuilder("Fleet"))
    .withPanel(
      timeseries(
        "Task queue lag",
        "Branch tasks waiting for a worker (pending) and held by one (ack pending); growth means the fleet is short.",
        "short",
        [
          { expr: `max(${s.taskQueuePending})`, legend: "waiting for a worker" },
          { expr: `max(${s.taskQueueAckPending})`, legend: "held by a worker" },
          { expr: `sum(${s.dispatchesHeld})`, legend: "held in the schedulers (fair sharing)" },
        ],
      ),
    )
    .withPanel(
      timeseries("Workers and slots", "Live workers, and branch slots busy over capacity.", "short", [
        { expr: `max(${s.liveWorkers})`, legend: "live workers" },
        { expr: `sum(${w.activeBranches})`, legend: "branches running" },
        { expr: `sum(${w.capacityBranches})`, legend: "capacity" },
      ]),
    )
    .withPanel(
      timeseries("Engine readiness", "1 while a worker's engine answers its health check.", "short", [
        { expr: `min by (pod, instance) (${w.engineReady})`, legend: "{{pod}}{{instance}}" },
      ]),
    );
}
