import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { experimental, ServerCredentials, status } from "@grpc/grpc-js";
import { readSettingFile } from "@ttc/common";
import { ServiceError } from "./errors.js";
import { JwtRejected, looksLikeJwt, type JwtVerifier } from "./jwt.js";

/** How often changed certificate and token files are noticed. */
const refreshMs = 1_000;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Set for mutual TLS: clients must present a certificate this CA signed. */
  clientCaFile: string | undefined;
}

/**
 * Plaintext without `tls`; otherwise TLS whose certificate, key and client CA are re-read when their
 * files change (a renewed certificate is served without a restart). The files are read once here
 * first, so a missing or unreadable one stops the start with its name.
 */
export function serverCredentials(tls: TlsFiles | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  for (const [setting, file] of [
    ["TTC_GRPC_TLS_CERT", tls.certFile],
    ["TTC_GRPC_TLS_KEY", tls.keyFile],
    ["TTC_GRPC_TLS_CLIENT_CA", tls.clientCaFile],
  ] as const) {
    if (file !== undefined) readSettingFile(setting, file);
  }
  const identity = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    refreshIntervalMs: refreshMs,
  });
  const clientCa = tls.clientCaFile
    ? new experimental.FileWatcherCertificateProvider({ caCertificateFile: tls.clientCaFile, refreshIntervalMs: refreshMs })
    : null;
  // grpc-js 1.14 hands its first argument to the identity slot, whatever the declaration names it.
  return experimental.createCertificateProviderServerCredentials(identity, clientCa, clientCa !== null);
}

/** Who a call is: the tenant its bearer token belongs to, or `anonymous` when no tokens are configured. */
export interface Caller {
  tenant: string;
}

/** Who calls when no tokens are configured. */
export const anonymousCaller: Caller = { tenant: "anonymous" };

/**
 * Bearer-token authentication: a JWT (when JWTs are configured and the token has their shape) is
 * verified by `jwt`; any other token is looked up in a file of `TENANT TOKEN` lines (`#` starts a
 * comment), re-read when it changes, so a token is added or revoked without a restart. File tokens are
 * kept and looked up by their SHA-256.
 */
export class CallerAuthenticator {
  #byDigest = new Map<string, string>();
  #mtimeMs = -1;
  #checkedAt = 0;

  constructor(
    private readonly file: string | undefined,
    private readonly jwt?: JwtVerifier,
  ) {
    if (file !== undefined) this.#load();
  }

  /**
   * The caller of a call whose `authorization` metadata (gRPC) or header (HTTP) is `header`.
   * @throws ServiceError UNAUTHENTICATED saying what to send.
   */
  authenticate(header: unknown): Caller {
    this.#reloadIfChanged();
    if (typeof header !== "string" || header === "")
      throw new ServiceError(
        status.UNAUTHENTICATED,
        "no bearer token: send `authorization: Bearer <token>` (ttc solve --token, or TTC_TOKEN; an OpenAI client's api_key)",
      );
    const match = /^Bearer +(\S+)$/i.exec(header);
    if (!match) throw new ServiceError(status.UNAUTHENTICATED, "the authorization must be `Bearer <token>`");
    const token = match[1]!;
    if (this.jwt && looksLikeJwt(token)) {
      try {
        return this.jwt.verify(token);
      } catch (err) {
        if (err instanceof JwtRejected) throw new ServiceError(status.UNAUTHENTICATED, err.message);
        throw err;
      }
    }
    // Looked up by digest: what a lookup's timing could reveal is about the digest, never the token.
    const tenant = this.#byDigest.get(sha256(token));
    if (tenant !== undefined) return { tenant };
    throw new ServiceError(status.UNAUTHENTICATED, "the bearer token is not known here: ask the operator for a token of your tenant");
  }

  #reloadIfChanged(): void {
    if (this.file === undefined) return;
    const now = Date.now();
    if (now - this.#checkedAt < refreshMs) return;
    this.#checkedAt = now;
    try {
      if (statSync(this.file).mtimeMs !== this.#mtimeMs) this.#load();
    } catch {
      // A file being replaced may be missing or half-written for a moment: keep the tokens known so far.
    }
  }

  #load(): void {
    const file = this.file!;
    const text = readSettingFile("TTC_GRPC_TOKENS_FILE", file).toString("utf8");
    this.#mtimeMs = statSync(file).mtimeMs;
    const next = new Map<string, string>();
    for (const [i, raw] of text.split("\n").entries()) {
      const line = raw.replace(/#.*/, "").trim();
      if (line === "") continue;
      const parts = line.split(/\s+/);
      if (parts.length !== 2 || !/^[A-Za-z0-9_.-]{1,64}$/.test(parts[0]!))
        throw new Error(
          `TTC_GRPC_TOKENS_FILE: line ${i + 1} of ${this.file} is not "TENANT TOKEN" (a tenant is 1–64 letters, digits, _ . -)`,
        );
      next.set(sha256(parts[1]!), parts[0]!);
    }
    this.#byDigest = next;
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
