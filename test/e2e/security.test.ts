/**
 * gRPC security with certificates the test makes: TLS with bearer tokens (a tokens file re-read when
 * it changes), mutual TLS, and a renewed server certificate served without a restart.
 */
import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { copyFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status, TtcClient, TtcError } from "@ttc/client";
import { credentials } from "@grpc/grpc-js";
import {
  healthStatus,
  makeTestCertificates,
  reflectedServices,
  scrape,
  startTestCluster,
  type TestCertificates,
  type TestCluster,
  until,
} from "@ttc/test-harness";

/** The `ttc` command, next to the CLI package's entry point. */
const cli = join(dirname(createRequire(import.meta.url).resolve("@ttc/cli")), "main.js");
const jwtSecret = "a shared secret for the test's HS256 tokens";
/** An HS256 JWT for the test's scheduler, for `claims` over a valid default. */
function jwt(claims: Record<string, unknown> = {}): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const signed = `${enc({ alg: "HS256", typ: "JWT" })}.${enc({ aud: "ttc-test", exp: Math.floor(Date.now() / 1000) + 300, sub: "team-c", ...claims })}`;
  return `${signed}.${createHmac("sha256", jwtSecret).update(signed).digest("base64url")}`;
}
const ask = { prompt: "What is 2 + 3?", maxBranches: 2, verifier: "none" };

/** The call's error, or null when it answered. Each call on a fresh client, no retries. */
async function failure(address: string, options: ConstructorParameters<typeof TtcClient>[1]): Promise<TtcError | null> {
  const client = new TtcClient(address, { timeoutMs: 10_000, ...options, retry: { maxAttempts: 1 } });
  try {
    await client.solve(ask);
    return null;
  } catch (err) {
    return err as TtcError;
  } finally {
    client.close();
  }
}

describe("TLS and bearer tokens", () => {
  let pki: TestCertificates;
  let tokensFile: string;
  let c: TestCluster;
  beforeAll(async () => {
    pki = makeTestCertificates();
    tokensFile = join(pki.dir, "tokens");
    writeFileSync(tokensFile, "# tenant token\nteam-a tok-a-1\nteam-b tok-b-1\n");
    const tenantsFile = join(pki.dir, "tenants.json");
    writeFileSync(tenantsFile, JSON.stringify({ tenants: { "team-a": {}, "team-b": { maxBranches: 4, verifiers: ["none", "arith"] } } }));
    c = await startTestCluster({
      workers: 1,
      env: {
        TTC_SIM_TOKENS_PER_SECOND: "0",
        TTC_GRPC_TLS_CERT: pki.serverCert,
        TTC_GRPC_TLS_KEY: pki.serverKey,
        TTC_GRPC_TOKENS_FILE: tokensFile,
        TTC_GRPC_JWT_SECRET: jwtSecret,
        TTC_GRPC_JWT_AUDIENCE: "ttc-test",
        TTC_TENANTS_FILE: tenantsFile,
      },
    });
  });
  afterAll(async () => c?.stop());

  const tls = () => ({ ca: pki.read(pki.caCert) });

  it("answers a caller with a known token over TLS", async () => {
    expect(await failure(c.cluster.grpcAddress, { tls: tls(), token: "tok-a-1" })).toBeNull();
  });

  it("keeps health and reflection open to callers without a token (probes, grpcurl)", async () => {
    const creds = credentials.createSsl(pki.read(pki.caCert));
    expect(await healthStatus(c.cluster.grpcAddress, "ttc.v1.Scheduler", creds)).toBe("SERVING");
    expect(await reflectedServices(c.cluster.grpcAddress, creds)).toContain("ttc.v1.Scheduler");
  });

  it("is UNAUTHENTICATED without a token, or with an unknown one, saying what to send", async () => {
    const none = await failure(c.cluster.grpcAddress, { tls: tls() });
    expect(none?.code).toBe(status.UNAUTHENTICATED);
    expect(none?.details).toMatch(/^no bearer token: send `authorization: Bearer <token>`/);
    const unknown = await failure(c.cluster.grpcAddress, { tls: tls(), token: "tok-x" });
    expect(unknown?.code).toBe(status.UNAUTHENTICATED);
    expect(unknown?.details).toMatch(/the bearer token is not known here/);
  });

  it("applies the caller's tenant's limits, and counts its queries under its name", async () => {
    const client = new TtcClient(c.cluster.grpcAddress, { tls: tls(), token: "tok-b-1", retry: { maxAttempts: 1 } });
    const err = (await client.solve({ ...ask, maxBranches: 8 }).catch((e: TtcError) => e)) as TtcError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe("max_branches: 8 is over tenant team-b's limit of 4");
    expect((await client.solve({ ...ask, maxBranches: 4 })).answer).not.toBe("");
    const denied = (await client.solve({ ...ask, verifier: "judge" }).catch((e: TtcError) => e)) as TtcError;
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toBe('verifier: tenant team-b may not use "judge"; it may use none, arith');
    client.close();
    const m = await scrape(c.metricsUrl("scheduler"));
    expect(m.get('ttc_scheduler_tenant_queries_in_flight{tenant="team-b"}')).toBe(0);
    expect(m.get('ttc_scheduler_queries_total{outcome="permission_denied"}')).toBe(1);
  });

  it("takes a valid JWT and refuses an expired one or one for another audience, saying why", async () => {
    expect(await failure(c.cluster.grpcAddress, { tls: tls(), token: jwt() })).toBeNull();
    const expired = await failure(c.cluster.grpcAddress, { tls: tls(), token: jwt({ exp: Math.floor(Date.now() / 1000) - 3600 }) });
    expect(expired?.code).toBe(status.UNAUTHENTICATED);
    expect(expired?.details).toBe("the token has expired: get a new one");
    const elsewhere = await failure(c.cluster.grpcAddress, { tls: tls(), token: jwt({ aud: "billing" }) });
    expect(elsewhere?.details).toBe('the token is not for audience "ttc-test"');
  });

  it("refuses a plaintext caller and one that does not trust the server's CA", async () => {
    expect((await failure(c.cluster.grpcAddress, {}))?.code).toBe(status.UNAVAILABLE);
    const stranger = makeTestCertificates("stranger");
    expect((await failure(c.cluster.grpcAddress, { tls: { ca: stranger.read(stranger.caCert) }, token: "tok-a-1" }))?.code).toBe(
      status.UNAVAILABLE,
    );
  });

  it("ttc solve calls with --tls --cacert --token (or TTC_TOKEN), and says why it fails without", () => {
    const ttc = (args: string[], env: Record<string, string> = {}) =>
      // A fixed seed: with a random one, two sim branches both end without an answer now and then (exit 3).
      spawnSync(
        process.execPath,
        [cli, "solve", "What is 2 + 3?", "--addr", c.cluster.grpcAddress, "--branches", "2", "--seed", "7", ...args],
        {
          encoding: "utf8",
          env: { ...process.env, ...env },
        },
      );
    const ok = ttc(["--cacert", pki.caCert, "--json"], { TTC_TOKEN: "tok-b-1" });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).answer).not.toBe("");
    const refused = ttc(["--tls", "--cacert", pki.caCert]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/UNAUTHENTICATED.*no bearer token/);
    const plaintextToken = ttc(["--token", "tok-b-1"]);
    expect(plaintextToken.status).not.toBe(0);
    expect(plaintextToken.stderr).toMatch(/a bearer token is only sent over TLS: add --tls/);
  });

  it("takes a token added to the file and drops a revoked one, without a restart", async () => {
    writeFileSync(tokensFile, "team-a tok-a-2\nteam-b tok-b-1\n");
    await until(async () => ((await failure(c.cluster.grpcAddress, { tls: tls(), token: "tok-a-2" })) === null ? true : undefined));
    expect((await failure(c.cluster.grpcAddress, { tls: tls(), token: "tok-a-1" }))?.code).toBe(status.UNAUTHENTICATED);
  });

  it("serves a renewed certificate from another CA once its files change, without a restart", async () => {
    const renewed = makeTestCertificates("renewed");
    copyFileSync(renewed.serverCert, pki.serverCert);
    copyFileSync(renewed.serverKey, pki.serverKey);
    const trustsRenewed = { tls: { ca: renewed.read(renewed.caCert) }, token: "tok-b-1" };
    await until(async () => ((await failure(c.cluster.grpcAddress, trustsRenewed)) === null ? true : undefined));
  });
});

describe("mutual TLS", () => {
  let pki: TestCertificates;
  let c: TestCluster;
  beforeAll(async () => {
    pki = makeTestCertificates();
    c = await startTestCluster({
      workers: 1,
      env: {
        TTC_SIM_TOKENS_PER_SECOND: "0",
        TTC_GRPC_TLS_CERT: pki.serverCert,
        TTC_GRPC_TLS_KEY: pki.serverKey,
        TTC_GRPC_TLS_CLIENT_CA: pki.caCert,
        TTC_GRPC_REFLECTION: "off",
      },
    });
  });
  afterAll(async () => c?.stop());

  it("answers a caller with a certificate from the client CA, refuses one without", async () => {
    const ca = pki.read(pki.caCert);
    expect(await failure(c.cluster.grpcAddress, { tls: { ca, cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) } })).toBeNull();
    expect((await failure(c.cluster.grpcAddress, { tls: { ca } }))?.code).toBe(status.UNAVAILABLE);
  });

  it("does not serve reflection when told not to; health still answers", async () => {
    const creds = credentials.createSsl(pki.read(pki.caCert), pki.read(pki.clientKey), pki.read(pki.clientCert));
    expect(await healthStatus(c.cluster.grpcAddress, "ttc.v1.Scheduler", creds)).toBe("SERVING");
    await expect(reflectedServices(c.cluster.grpcAddress, creds)).rejects.toMatchObject({ code: status.UNIMPLEMENTED });
  });
});
