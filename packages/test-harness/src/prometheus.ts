import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PrometheusFixture {
  url: string;
  /** Instant query; returns the value of the single resulting series, or undefined. */
  value(promql: string): Promise<number | undefined>;
  /** Instant query, as the API answers it: its status, error (when it failed) and series. */
  query(promql: string): Promise<{ status: string; error?: string; result: { metric: Record<string, string>; value: [number, string] }[] }>;
  /** Range query over the last `seconds`, one point per `stepSeconds`: each series' points. */
  range(promql: string, seconds: number, stepSeconds: number): Promise<{ metric: Record<string, string>; values: [number, string][] }[]>;
  /** Every metric name Prometheus has scraped metadata for (those without samples included). */
  metricNames(): Promise<Set<string>>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A real Prometheus server scraping the given `host:port` targets every second; resolves once it has scraped each of them. */
export async function startPrometheus(targets: string[]): Promise<PrometheusFixture> {
  const found = spawnSync("sh", ["-c", "command -v prometheus"], { encoding: "utf8" });
  if (found.status !== 0) throw new Error("prometheus is not installed: apt-get install prometheus (.ci/run does this)");
  const dir = mkdtempSync(join(tmpdir(), "ttc-prom-"));
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "scrape_configs:",
    "  - job_name: ttc",
    "    static_configs:",
    `      - targets: [${targets.map((t) => `"${t}"`).join(", ")}]`,
  ].join("\n");
  writeFileSync(join(dir, "prometheus.yml"), `${config}\n`);
  const port = await freePort();
  const child = spawn(
    found.stdout.trim(),
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
    {
      stdio: "ignore",
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > end) throw new Error("prometheus did not become ready");
    await new Promise((r) => setTimeout(r, 100));
  }
  const query: PrometheusFixture["query"] = async (promql) => {
    const res = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    return { status: res.status, ...(res.error ? { error: res.error } : {}), result: res.data?.result ?? [] };
  };
  // Ready is not scraping: target discovery starts a few seconds later. Return once every target was scraped up.
  for (;;) {
    const res = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent("up == 1")}`)).json()) as {
      data?: { result: unknown[] };
    };
    if ((res.data?.result.length ?? 0) >= targets.length) break;
    if (child.exitCode !== null || Date.now() > end + 30_000)
      throw new Error(`prometheus did not scrape its ${targets.length} targets within 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    query,
    async value(promql) {
      const v = (await query(promql)).result[0]?.value[1];
      return v === undefined ? undefined : Number(v);
    },
    async range(promql, seconds, stepSeconds) {
      const end = Date.now() / 1000;
      const params = new URLSearchParams({ query: promql, start: String(end - seconds), end: String(end), step: String(stepSeconds) });
      const res = (await (await fetch(`${url}/api/v1/query_range?${params}`)).json()) as {
        status: string;
        error?: string;
        data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
      };
      if (res.status !== "success") throw new Error(`range query failed: ${res.error} (${promql})`);
      return res.data!.result;
    },
    async metricNames() {
      const res = (await (await fetch(`${url}/api/v1/metadata`)).json()) as { data: Record<string, unknown> };
      return new Set(Object.keys(res.data));
    },
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
