import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM files of a throw-away PKI for TLS tests: a CA, a server certificate for 127.0.0.1/localhost, a client certificate. */
export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The file's bytes. */
  read(file: string): Buffer;
}

/** Makes a fresh CA and certificates with the system's `openssl` (EC P-256, valid one day). */
export function makeTestCertificates(name = "ttc-test"): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "ttc-pki-"));
  const at = (f: string) => join(dir, f);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  const key = (file: string) => openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", at(file));
  key("ca.key");
  openssl("req", "-x509", "-new", "-key", at("ca.key"), "-subj", `/CN=${name} CA`, "-days", "1", "-out", at("ca.pem"));
  const issue = (role: "server" | "client", extensions: string) => {
    key(`${role}.key`);
    openssl("req", "-new", "-key", at(`${role}.key`), "-subj", `/CN=${name} ${role}`, "-out", at(`${role}.csr`));
    writeFileSync(at(`${role}.ext`), extensions);
    openssl(
      "x509",
      "-req",
      "-in",
      at(`${role}.csr`),
      "-CA",
      at("ca.pem"),
      "-CAkey",
      at("ca.key"),
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      at(`${role}.ext`),
      "-out",
      at(`${role}.pem`),
    );
  };
  issue("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  issue("client", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    caCert: at("ca.pem"),
    serverCert: at("server.pem"),
    serverKey: at("server.key"),
    clientCert: at("client.pem"),
    clientKey: at("client.key"),
    read: (file) => readFileSync(file),
  };
}
