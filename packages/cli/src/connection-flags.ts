import type { Command } from "commander";
import { TtcClient, type ClientOptions } from "@ttc/client";
import { readSettingFile } from "@ttc/common";

/** The flags of a command that calls a scheduler, as commander parses them. */
export interface ConnectionFlags {
  tls?: boolean;
  cacert?: string;
  cert?: string;
  key?: string;
  token?: string;
}

/** Adds `--tls`, `--cacert`, `--cert`, `--key` and `--token` (default `$TTC_TOKEN`) to a command that calls a scheduler. */
export function addConnectionFlags(command: Command, env: NodeJS.ProcessEnv = process.env): Command {
  return command
    .option("--tls", "call over TLS (implied by --cacert, --cert and --key)")
    .option("--cacert <file>", "CA certificate(s) the scheduler's certificate must chain to (PEM; default: the system's)")
    .option("--cert <file>", "client certificate for mutual TLS (PEM, with --key)")
    .option("--key <file>", "client private key for mutual TLS (PEM, with --cert)")
    .option("--token <token>", "bearer token (TTC_TOKEN sets the default; needs TLS)", env["TTC_TOKEN"] || undefined);
}

/**
 * The client options the flags ask for: TLS when any TLS flag is given, files read now.
 * @throws Error naming the flag: a file that cannot be read, --cert without --key, a token without TLS.
 */
export function connectionOptions(f: ConnectionFlags): Pick<ClientOptions, "tls" | "token"> {
  if (Boolean(f.cert) !== Boolean(f.key)) throw new Error("--cert and --key go together (mutual TLS)");
  const useTls = Boolean(f.tls || f.cacert || f.cert);
  if (f.token && !useTls)
    throw new Error("a bearer token is only sent over TLS: add --tls (and --cacert unless the system trusts the scheduler)");
  if (!useTls) return {};
  return {
    tls: {
      ...(f.cacert ? { ca: readSettingFile("--cacert", f.cacert) } : {}),
      ...(f.cert && f.key ? { cert: readSettingFile("--cert", f.cert), key: readSettingFile("--key", f.key) } : {}),
    },
    ...(f.token ? { token: f.token } : {}),
  };
}

/**
 * Runs `call` with a client of the scheduler at `addr`, closed after. A failure, of a flag or of the
 * call, is printed as `ttc COMMAND failed: …` and gives exit code 2.
 */
export async function withScheduler(
  command: string,
  o: ConnectionFlags & { addr: string; timeoutMs: number },
  call: (client: TtcClient) => Promise<number>,
): Promise<number> {
  let client: TtcClient | undefined;
  try {
    client = new TtcClient(o.addr, { timeoutMs: o.timeoutMs, ...connectionOptions(o) });
    return await call(client);
  } catch (err) {
    process.stderr.write(`ttc ${command} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  } finally {
    client?.close();
  }
}
