import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExposition, total } from "../src/prometheus-text.js";
import { startScraper } from "../src/scraper.js";

const exposition = (cpuSeconds: number) => `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total ${cpuSeconds}
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 104857600
# TYPE nodejs_eventloop_lag_p99_seconds gauge
nodejs_eventloop_lag_p99_seconds 0.012
# TYPE ttc_scheduler_queries_in_flight gauge
ttc_scheduler_queries_in_flight 3
# TYPE ttc_worker_active_branches gauge
ttc_worker_active_branches{worker="a b"} 2
ttc_worker_active_branches{worker="c}"} 1 1700000000000
# TYPE ttc_scheduler_queries_total counter
ttc_scheduler_queries_total{outcome="answered"} 7
# TYPE ttc_scheduler_query_duration_seconds histogram
ttc_scheduler_query_duration_seconds_bucket{le="+Inf"} 7
`;

describe("the exposition reader", () => {
  it("reads samples with labels (spaces and braces in values, timestamps) and the declared types", () => {
    const e = parseExposition(exposition(1.5));
    expect(total(e, "process_cpu_seconds_total")).toBe(1.5);
    expect(total(e, "ttc_worker_active_branches")).toBe(3);
    expect(e.samples.find((s) => s.name === "ttc_scheduler_query_duration_seconds_bucket")?.labels).toBe('{le="+Inf"}');
    expect(e.types.get("ttc_scheduler_queries_in_flight")).toBe("gauge");
    expect(total(e, "absent")).toBeUndefined();
  });
});

describe("the scraper", () => {
  let server: Server;
  let url: string;
  let scrapes = 0;
  let downRequests = 0;
  beforeAll(async () => {
    // Half a CPU second per scrape: the scraper turns the counter into a rate.
    server = createServer((req, res) => {
      if (req.url === "/down") {
        downRequests++;
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain" }).end(exposition(0.5 * scrapes++));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("samples CPU as a rate, memory, event-loop delay and every ttc gauge; counts failures without stopping", async () => {
    const scraper = startScraper(
      [
        { name: "svc", url: `${url}/metrics` },
        { name: "down", url: `${url}/down` },
      ],
      performance.now(),
      100,
    );
    while (scrapes < 3 || downRequests < 3) await new Promise((r) => setTimeout(r, 20));
    const [svc, down] = await scraper.stop();
    expect(svc!.samples).toBeGreaterThanOrEqual(3);
    expect(svc!.failures).toBe(0);
    expect(svc!.cpuCores).toHaveLength(svc!.samples - 1); // a rate needs two readings
    for (const [, cores] of svc!.cpuCores) expect(cores).toBeGreaterThan(0);
    expect(svc!.residentBytes.map(([, v]) => v)).toEqual(new Array(svc!.samples).fill(104857600));
    expect(svc!.eventLoopLagP99Seconds[0]![1]).toBe(0.012);
    expect(Object.keys(svc!.gauges).sort()).toEqual(["ttc_scheduler_queries_in_flight", "ttc_worker_active_branches"]);
    expect(svc!.gauges["ttc_worker_active_branches"]![0]![1]).toBe(3);
    expect(down).toMatchObject({ samples: 0, lastError: "HTTP 503" });
    expect(down!.failures).toBeGreaterThanOrEqual(3);
  });
});
