import { credentials, Metadata, type ChannelCredentials, type ChannelOptions } from "@grpc/grpc-js";
import { numberInRange } from "./number-range.js";
import { retryPolicy, type RetryOptions, type RetryPolicy } from "./retry.js";

/** PEM material as the file's bytes or text. */
export type Pem = Buffer | string;

/** TLS for the channel. `cert` and `key` together turn on mutual TLS. */
export interface TlsOptions {
  /** CA certificate(s) the server's certificate must chain to. @default the system's roots */
  ca?: Pem;
  /** The client's certificate chain, for mutual TLS (with `key`). */
  cert?: Pem;
  /** The client's private key, for mutual TLS (with `cert`). */
  key?: Pem;
  /** The name to check the server's certificate against (and send as SNI) instead of the address's host. */
  serverName?: string;
}

/** Options of a {@link TtcClient}, fixed for its lifetime. */
export interface ClientOptions {
  /** TLS settings. @default plaintext */
  tls?: TlsOptions;
  /**
   * A bearer token sent with every call as `authorization: Bearer <token>` (gRPC call credentials).
   * Requires `tls`: a token is a secret, and grpc-js refuses call credentials on a plaintext channel.
   */
  token?: string;
  /** Deadline of every call, in ms from its start, unless the call sets its own. @default none: the scheduler applies `TTC_DEFAULT_DEADLINE_MS` */
  timeoutMs?: number;
  /** Retries of every call, unless the call overrides them. @default see {@link RetryOptions} */
  retry?: RetryOptions;
  /**
   * A connection of this client's own. By default grpc-js shares one connection between the clients
   * of one address and options; a load generator acting as many callers wants one per caller group.
   * @default false
   */
  ownConnection?: boolean;
}

/** Options of one call; they override the client's. */
export interface CallOptions {
  /** Deadline in ms from the start of the call (of the first attempt: retries share it). */
  timeoutMs?: number;
  /** Absolute deadline; with `timeoutMs` too, the earlier wins. */
  deadline?: Date;
  /** Aborting it cancels the call (the scheduler cancels the query's branches); the call rejects with `CANCELLED`. */
  signal?: AbortSignal;
  /** Retries for this call, over the client's. */
  retry?: RetryOptions;
}

/** {@link ClientOptions} compiled once: what the channel is built from, and the defaults of every call. */
export interface ResolvedClientOptions {
  credentials: ChannelCredentials;
  channelOptions: ChannelOptions;
  timeoutMs: number | undefined;
  retry: RetryPolicy;
}

/** One call's deadline (epoch ms), signal and retries, from the client's defaults and the call's options. */
export interface CallPlan {
  deadline: number | undefined;
  signal: AbortSignal | undefined;
  retry: RetryPolicy;
}

/** Checks `options` and applies the defaults; throws naming the bad option. */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  checkTimeout(options.timeoutMs);
  return {
    credentials: channelCredentials(options.tls, options.token),
    channelOptions: {
      // Nothing reads channelz here; its per-call bookkeeping is pure cost to a busy caller.
      "grpc.enable_channelz": 0,
      ...(options.tls?.serverName
        ? { "grpc.ssl_target_name_override": options.tls.serverName, "grpc.default_authority": options.tls.serverName }
        : {}),
      ...(options.ownConnection ? { "grpc.use_local_subchannel_pool": 1 } : {}),
    },
    timeoutMs: options.timeoutMs,
    retry: retryPolicy(options.retry),
  };
}

/** The plan of a call starting now. */
export function planCall(defaults: ResolvedClientOptions, options: CallOptions): CallPlan {
  checkTimeout(options.timeoutMs);
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
  const ends = [options.deadline?.getTime(), timeoutMs === undefined ? undefined : Date.now() + timeoutMs].filter(
    (t): t is number => t !== undefined,
  );
  return {
    deadline: ends.length > 0 ? Math.min(...ends) : undefined,
    signal: options.signal,
    retry: options.retry ? retryPolicy(options.retry, defaults.retry) : defaults.retry,
  };
}

function checkTimeout(timeoutMs: number | undefined): void {
  if (timeoutMs !== undefined) numberInRange(timeoutMs, { min: 0, minExclusive: true }, "timeoutMs");
}

function channelCredentials(tls: TlsOptions | undefined, token: string | undefined): ChannelCredentials {
  if (!tls) {
    if (token !== undefined) throw new Error("token: a bearer token is only sent over TLS; set tls as well");
    return credentials.createInsecure();
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new Error("tls: cert and key go together (mutual TLS)");
  const channel = credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert));
  return token === undefined ? channel : channel.compose(bearer(token));
}

function bearer(token: string) {
  return credentials.createFromMetadataGenerator((_call, callback) => {
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${token}`);
    callback(null, metadata);
  });
}

function pem(value: Pem | undefined): Buffer | null {
  if (value === undefined) return null;
  return typeof value === "string" ? Buffer.from(value) : value;
}
