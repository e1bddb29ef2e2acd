/**
 * The panel kinds the dashboards use, on one Prometheus data source variable: a time series of one
 * or more PromQL queries, and a single-value stat. `$__rate_interval` is Grafana's; queries are
 * otherwise plain PromQL (test/deploy evaluates each against a real Prometheus).
 */
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { DashboardBuilder, DatasourceVariableBuilder, type DataSourceRef } from "@grafana/grafana-foundation-sdk/dashboard";
import { ReduceDataOptionsBuilder } from "@grafana/grafana-foundation-sdk/common";

/** The dashboards' data source: a variable, so one import works against any Prometheus. */
export const datasource: DataSourceRef = { type: "prometheus", uid: "${datasource}" };

/** One query of a panel: its PromQL and the legend of its series. */
export interface Query {
  expr: string;
  legend: string;
}

const target = (q: Query, i: number) =>
  new DataqueryBuilder()
    .expr(q.expr)
    .legendFormat(q.legend)
    .refId(String.fromCharCode(65 + i))
    .datasource(datasource);

export function timeseries(title: string, description: string, unit: string, queries: Query[], width = 12): TimeseriesBuilder {
  const panel = new TimeseriesBuilder().title(title).description(description).unit(unit).datasource(datasource).height(8).span(width);
  queries.forEach((q, i) => panel.withTarget(target(q, i)));
  return panel;
}

export function stat(title: string, description: string, unit: string, query: Query, width = 6): StatBuilder {
  return new StatBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(datasource)
    .height(4)
    .span(width)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .withTarget(target(query, 0));
}

/** A ttc dashboard: its uid, tags, refresh, the last hour, and the Prometheus data source variable. */
export function ttcDashboard(title: string, uid: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .tags(["ttc", "generated"])
    .description(description)
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .withVariable(new DatasourceVariableBuilder("datasource").label("Prometheus").type("prometheus"));
}
