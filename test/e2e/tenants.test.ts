/**
 * Tenants against a real cluster: a token budget charged as tokens stream (running queries stopped at
 * the budget, new ones refused with a retry delay), and fair sharing of the fleet by tokens, so one
 * tenant's flood does not queue another tenant's query behind it.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status, TtcClient, TtcError } from "@ttc/client";
import { StopReason } from "@ttc/proto";
import { makeTestCertificates, request, scrape, startTestCluster, type TestCertificates, type TestCluster } from "@ttc/test-harness";

describe("a tenant's token budget", () => {
  let c: TestCluster;
  beforeAll(async () => {
    const pki = makeTestCertificates();
    const tenantsFile = join(pki.dir, "tenants.json");
    // Without tokens every caller is the tenant "anonymous": 60 tokens a minute, 300 at once.
    writeFileSync(tenantsFile, JSON.stringify({ tenants: { anonymous: { tokensPerMinute: 60, burstTokens: 300 } } }));
    c = await startTestCluster({
      workers: 1,
      capacity: 4,
      env: { TTC_TENANTS_FILE: tenantsFile, TTC_SIM_TOKENS_PER_SECOND: "200", TTC_SIM_MEAN_TOKENS: "2000", TTC_SIM_LENGTH_SIGMA: "0" },
    });
  });
  afterAll(async () => c?.stop());

  it("stops a running query at the budget, charges what it generated, and refuses the next query with a retry delay", async () => {
    const client = new TtcClient(c.cluster.grpcAddress, { timeoutMs: 30_000, retry: { maxAttempts: 1 } });
    const started = Date.now();
    const outcome = await client.solve(request({ maxBranches: 4, parallelism: 4, verifier: "none" })).catch((e: TtcError) => e);
    // Four branches at 200 tokens a second spend 300 tokens in under half a second; each would run 10 s.
    expect(Date.now() - started).toBeLessThan(8_000);
    if (outcome instanceof TtcError) {
      expect(outcome.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(outcome.details).toMatch(
        /^the tenant's token budget ran out before the query had an answer; retry once it refills \(in \d+\.\d s\)$/,
      );
      expect(outcome.retryDelayMs).toBeGreaterThan(0);
    } else {
      expect(outcome.stopReason).toBe(StopReason.STOP_REASON_TENANT_BUDGET);
    }
    const m = await scrape(c.metricsUrl("scheduler"));
    const charged = m.get('ttc_scheduler_tenant_generated_tokens_total{tenant="anonymous"}')!;
    // At least the budget; beyond it only what streamed while the stop travelled (a chunk of 32 per branch, and the settle wait).
    expect(charged).toBeGreaterThanOrEqual(300);
    expect(charged).toBeLessThan(300 + 4 * 32 * 4);

    const refused = (await client.solve(request({ maxBranches: 1, verifier: "none" })).catch((e: TtcError) => e)) as TtcError;
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(refused.details).toMatch(/^tenant anonymous has spent its budget of 60 tokens a minute; retry in \d+\.\d s$/);
    // The debt is at least a token, refilled at one a second.
    expect(refused.retryDelayMs).toBeGreaterThanOrEqual(1_000);
    expect(refused.retryDelayMs).toBeLessThanOrEqual((charged - 300 + 1) * 1_000 + 1_000);
    client.close();
  });
});

describe("fair sharing of the fleet between tenants", () => {
  let pki: TestCertificates;
  let c: TestCluster;
  beforeAll(async () => {
    pki = makeTestCertificates();
    const tokensFile = join(pki.dir, "tokens");
    writeFileSync(tokensFile, "flood tok-flood\nquiet tok-quiet\n");
    c = await startTestCluster({
      workers: 1,
      capacity: 4,
      env: {
        TTC_GRPC_TLS_CERT: pki.serverCert,
        TTC_GRPC_TLS_KEY: pki.serverKey,
        TTC_GRPC_TOKENS_FILE: tokensFile,
        TTC_SIM_TOKENS_PER_SECOND: "400",
        TTC_SIM_MEAN_TOKENS: "200",
        TTC_SIM_LENGTH_SIGMA: "0",
      },
    });
  });
  afterAll(async () => c?.stop());

  const client = (token: string) => new TtcClient(c.cluster.grpcAddress, { tls: { ca: pki.read(pki.caCert) }, token, timeoutMs: 120_000 });
  const ask = request({ maxBranches: 4, parallelism: 4, verifier: "none" });

  it("a flooding tenant's queue does not delay another tenant's query by more than a share of the fleet", async () => {
    const quiet = client("tok-quiet");
    const flood = client("tok-flood");
    let t = Date.now();
    await quiet.solve(ask);
    const alone = Date.now() - t;
    // 24 queries of 4 branches: 96 half-second branches on 4 slots, 12 s of work queued ahead.
    const flooding = Promise.all(Array.from({ length: 24 }, (_, i) => flood.solve({ ...ask, seed: 100 + i })));
    await new Promise((r) => setTimeout(r, 1_000));
    t = Date.now();
    await quiet.solve(ask);
    const crowded = Date.now() - t;
    await flooding;
    // First come, first served would put it behind ~10 s of the flood's branches; sharing by tokens
    // gives it the next free slots. Loose here (the benchmark measures it): under 4× alone.
    expect(crowded).toBeLessThan(4 * alone + 500);
    const m = await scrape(c.metricsUrl("scheduler"));
    expect(m.get("ttc_scheduler_dispatches_held")).toBe(0);
    expect(m.get("ttc_scheduler_branches_holding_slots")).toBe(0);
    quiet.close();
    flood.close();
  });

  it("serves a tenant's query record to that tenant only, and the OpenAI API with the same TLS and tokens", async () => {
    const quiet = client("tok-quiet");
    const flood = client("tok-flood");
    try {
      const r = await quiet.solve(ask);
      expect((await quiet.getQuery(r.queryId)).complete).toBe(true);
      // Another tenant's record is not found, not forbidden: its existence is not told either.
      const other = (await flood.getQuery(r.queryId).catch((e: TtcError) => e)) as TtcError;
      expect(other.code).toBe(status.NOT_FOUND);
    } finally {
      quiet.close();
      flood.close();
    }
    const url = `${c.cluster.openaiBaseUrls[0]}/chat/completions`;
    expect(url).toMatch(/^https:/);
    const curl = (...auth: string[]) =>
      spawnSync(
        "curl",
        [
          "-sS",
          "--max-time",
          "30",
          "--cacert",
          pki.caCert,
          "-w",
          "\n%{http_code}",
          ...auth,
          "-H",
          "content-type: application/json",
          "-d",
          JSON.stringify({ model: "ttc/majority@none", n: 2, messages: [{ role: "user", content: "sim puzzle 2" }] }),
          url,
        ],
        { encoding: "utf8" },
      );
    const anonymous = curl();
    expect(anonymous.stdout.split("\n").at(-1)).toBe("401");
    expect(JSON.parse(anonymous.stdout.split("\n")[0]!).error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    const wrong = curl("-H", "authorization: Bearer tok-nobody");
    expect(wrong.stdout.split("\n").at(-1)).toBe("401");
    const known = curl("-H", "authorization: Bearer tok-quiet");
    expect(known.stdout.split("\n").at(-1)).toBe("200");
    expect(JSON.parse(known.stdout.split("\n")[0]!).ttc.answer).not.toBe("");
  }, 60_000);
});
