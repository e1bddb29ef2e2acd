import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Readiness } from "./readiness.js";

export interface MetricsServer {
  /** Port actually bound (useful when asked for port 0). */
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `registry` on `GET /metrics` and a liveness probe on `GET /healthz`. `readiness` decides
 * the readiness probe on `GET /readyz`: 200, or 503 naming what keeps the process from being ready.
 */
export async function startMetricsServer(
  registry: Registry,
  options: { host: string; port: number; readiness: Pick<Readiness, "reasons"> },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") {
      res.writeHead(405).end();
    } else if (path === "/metrics") {
      registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else if (path === "/healthz") {
      res.writeHead(200).end("ok\n");
    } else if (path === "/readyz") {
      const reasons = options.readiness.reasons();
      if (reasons.length === 0) res.writeHead(200).end("ready\n");
      else res.writeHead(503).end(`not ready: ${reasons.join(", ")}\n`);
    } else {
      res.writeHead(404).end("not found: try /metrics\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${options.host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
