/**
 * NATS credentials and role permissions against a real nats-server that admits only its users:
 * user/password and nkey seeds authenticate, a wrong one is refused, and each role's permissions
 * allow what the role does and refuse what it must not.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "@nats-io/nkeys";
import { connectNats } from "../src/nats.js";
import { startLocalNatsServer, type LocalNatsServer } from "../src/nats-server.js";
import { rolePermissions } from "../src/nats-permissions.js";
import { serviceSettings, ConfigError, commonEnv, intVar, parseConfig } from "../src/config.js";
import { wireNames } from "../src/wire.js";
import { z } from "zod";
import { makeTestCertificates } from "@ttc/test-harness";

const names = wireNames("auth");
const worker = createUser();
const dir = mkdtempSync(join(tmpdir(), "ttc-nats-auth-"));
const workerSeed = join(dir, "worker.nk");
writeFileSync(workerSeed, `${new TextDecoder().decode(worker.getSeed())}\n`);
let server: LocalNatsServer;

beforeAll(async () => {
  server = await startLocalNatsServer({
    users: [
      { user: "scheduler", password: "s3cret-pass", permissions: rolePermissions(names, "scheduler") },
      { nkey: worker.getPublicKey(), permissions: rolePermissions(names, "worker", "w1") },
    ],
  });
});
afterAll(async () => server?.stop());

describe("NATS credentials", () => {
  it("user/password and an nkey seed file authenticate; a wrong password or no credentials are refused", async () => {
    const scheduler = await connectNats(server.url, "scheduler", {
      auth: { user: "scheduler", password: "s3cret-pass" },
      inboxPrefix: names.inboxPrefix("scheduler"),
    });
    const w = await connectNats(server.url, "w1", { auth: { nkeySeedFile: workerSeed }, inboxPrefix: names.inboxPrefix("worker", "w1") });
    await expect(connectNats(server.url, "x", { auth: { user: "scheduler", password: "wrong" } })).rejects.toThrow(
      /Authorization Violation/i,
    );
    await expect(connectNats(server.url, "x")).rejects.toThrow(/Authorization Violation/i);
    await expect(connectNats(server.url, "x", { auth: { nkeySeedFile: join(dir, "missing.nk") } })).rejects.toThrow(
      /TTC_NATS_NKEY_SEED_FILE: cannot read .*missing\.nk \(ENOENT\)/,
    );

    // The worker heartbeats as itself and the scheduler hears it; as another worker, nothing arrives.
    const heard: string[] = [];
    scheduler.subscribe(names.heartbeatWildcard, { callback: (err, m) => void (err || heard.push(m.subject)) });
    await scheduler.flush();
    w.publish(names.heartbeatSubject("w1"), new Uint8Array([1]));
    w.publish(names.heartbeatSubject("w2"), new Uint8Array([1]));
    await w.flush().catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
    expect(heard).toEqual([names.heartbeatSubject("w1")]);
    await scheduler.close();
    await w.close().catch(() => {});
  });

  it("TLS to NATS: a client that trusts the server's CA connects; one without the CA is refused", async () => {
    const pki = makeTestCertificates("ttc-nats");
    const tlsServer = await startLocalNatsServer({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
    try {
      const nc = await connectNats(tlsServer.url, "tls-client", { auth: { caFile: pki.caCert } });
      await nc.flush();
      await nc.close();
      await expect(connectNats(tlsServer.url, "plain-client")).rejects.toThrow();
      await expect(connectNats(tlsServer.url, "x", { auth: { caFile: join(dir, "missing-ca.pem") } })).rejects.toThrow(
        /TTC_NATS_CA_FILE: cannot read .*missing-ca\.pem \(ENOENT\)/,
      );
    } finally {
      await tlsServer.stop();
    }
  });

  it("a service's settings take one kind of credentials, and say which settings conflict", () => {
    const schema = z.object({ ...commonEnv, TTC_METRICS_PORT: intVar(0, 0, 65535) });
    const settings = (env: Record<string, string>) => serviceSettings(parseConfig(schema, env));
    expect(settings({ TTC_NATS_USER: "u", TTC_NATS_PASSWORD: "p", TTC_NATS_CA_FILE: "/ca.pem" }).natsAuth).toEqual({
      user: "u",
      password: "p",
      caFile: "/ca.pem",
    });
    expect(() => settings({ TTC_NATS_USER: "u", TTC_NATS_CREDS_FILE: "/u.creds" })).toThrow(ConfigError);
    expect(() => settings({ TTC_NATS_USER: "u", TTC_NATS_CREDS_FILE: "/u.creds" })).toThrow(
      /TTC_NATS_USER, TTC_NATS_CREDS_FILE: give one kind of NATS credentials/,
    );
    expect(() => settings({ TTC_NATS_PASSWORD: "p" })).toThrow(/TTC_NATS_PASSWORD: needs TTC_NATS_USER/);
    expect(() => settings({ TTC_NATS_TLS_CERT: "/c.pem" })).toThrow(/TTC_NATS_TLS_KEY: a client certificate needs both/);
  });
});
