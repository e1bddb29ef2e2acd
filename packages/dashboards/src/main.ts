#!/usr/bin/env node
/** Writes every dashboard into the chart (`npm run dashboards -w @ttc/dashboards`); a test checks the chart's copies are current. */
import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { dashboardJson, dashboards } from "./mod.js";

const out = resolve(dirname(fileURLToPath(import.meta.url)), "../../../deploy/helm/ttc/dashboards");
for (const name of Object.keys(dashboards) as (keyof typeof dashboards)[]) {
  writeFileSync(resolve(out, `${name}.json`), dashboardJson(name));
  console.log(`wrote ${resolve(out, `${name}.json`)}`);
}
