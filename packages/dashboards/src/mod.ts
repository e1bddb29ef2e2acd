/** The chart's Grafana dashboards, as code: each builds the dashboard JSON Grafana imports. */
import { computeDashboard } from "./compute.js";
import { fleetDashboard } from "./fleet.js";

/** Every dashboard by the file name it has in the chart (`deploy/helm/ttc/dashboards/<name>.json`). */
export const dashboards = { fleet: fleetDashboard, compute: computeDashboard } as const;

/** A dashboard's JSON as the chart stores it (stable: two spaces, trailing newline). */
export function dashboardJson(name: keyof typeof dashboards): string {
  return `${JSON.stringify(dashboards[name]().build(), null, 2)}\n`;
}

/** Every PromQL expression of a dashboard's panels, with the panel's title. */
export function panelQueries(name: keyof typeof dashboards): { panel: string; expr: string }[] {
  const json = dashboards[name]().build();
  return (json.panels ?? []).flatMap((p) =>
    "targets" in p && p.targets ? p.targets.map((t) => ({ panel: p.title ?? "", expr: String((t as { expr?: string }).expr ?? "") })) : [],
  );
}
