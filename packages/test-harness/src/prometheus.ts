import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PrometheusFixture {
  url: string;
  /** Instant query; returns the value of the single resulting series, or undefined. */
  value(promql: string): Promise<number | undefined>;
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

/** A real Prometheus server scraping the given `host:port` targets every second. */
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
  return {
    url,
    async value(promql) {
      const res = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      const v = res.data.result[0]?.value[1];
      return v === undefined ? undefined : Number(v);
    },
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
