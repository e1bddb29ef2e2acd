/**
 * Secrets never reach a log: a cluster whose NATS URL carries a password, given to every service
 * through `TTC_NATS_URL_FILE`, and a judge API key through `TTC_JUDGE_API_KEY_FILE`, answers a query at
 * debug level; then every line every service wrote is searched for both secrets.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalCluster, type LocalCluster } from "@ttc/cli";
import { TtcClient } from "@ttc/client";
import { startNats, type NatsFixture } from "@ttc/test-harness";

describe("secrets in settings", () => {
  let nats: NatsFixture | undefined;
  let cluster: LocalCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
    await nats?.stop();
  });

  it("are read from _FILE settings and appear in no log line", async () => {
    nats = await startNats();
    const password = `pw-${randomBytes(8).toString("hex")}`;
    const apiKey = `sk-${randomBytes(8).toString("hex")}`;
    const dir = mkdtempSync(join(tmpdir(), "ttc-sf-"));
    const url = new URL(nats.url);
    // A server without authorization accepts any credentials: the URL is what is under test.
    url.username = "ttc";
    url.password = password;
    const natsUrlFile = join(dir, "nats-url");
    writeFileSync(natsUrlFile, `${url.toString()}\n`);
    const keyFile = join(dir, "judge-key");
    writeFileSync(keyFile, apiKey);
    const logDir = join(dir, "logs");
    cluster = await startLocalCluster({
      workers: 1,
      capacity: 2,
      schedulers: 1,
      grpcHost: "127.0.0.1",
      grpcPort: 0,
      metricsPort: 0,
      namespace: `t${randomBytes(4).toString("hex")}`,
      natsUrl: nats.url,
      env: {
        TTC_LOG_LEVEL: "debug",
        TTC_NATS_URL_FILE: natsUrlFile,
        TTC_JUDGE_URL: "http://127.0.0.1:9/v1",
        TTC_JUDGE_MODEL: "judge",
        TTC_JUDGE_API_KEY_FILE: keyFile,
      },
      logDir,
    });
    const client = new TtcClient(cluster.grpcAddress, { timeoutMs: 30_000 });
    const r = await client.solve({ prompt: "How many marbles are left in sim puzzle 3?", maxBranches: 3, verifier: "arith" });
    client.close();
    // The query went through NATS to a worker and back (its answer may be empty: the arith verifier
    // can prune every branch of a 3-branch query, about 1 query in 65 here: every branch slipped).
    expect(Number(r.compute?.generatedTokens ?? 0)).toBeGreaterThan(0);
    for (const s of cluster.services) expect(String(s.ready["nats"])).not.toContain(password);
    await cluster.stop();
    cluster = undefined;
    const lines = readdirSync(logDir).flatMap((f) => readFileSync(join(logDir, f), "utf8").split("\n"));
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((l) => l.includes(password) || l.includes(apiKey))).toEqual([]);
  });
});
