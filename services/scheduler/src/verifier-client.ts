import { errors, type NatsConnection } from "@nats-io/nats-core";
import { VerifyRequest, VerifyResponse } from "@ttc/proto";
import { natsTraceHeaders, unscored, verifyInput, verifyResponse, type WireNames } from "@ttc/common";
import { createVerifier, engineVerifierNames } from "@ttc/policy";

export type VerifyCall = VerifyRequest;

/** Scores traces; an `error` in the response means the trace is unscored, not that the query failed. */
export interface VerifierClient {
  /** True when the verifier can judge partial traces (worth calling on progress). */
  supportsPartial(verifier: string): boolean;
  /** `trace`: the query's W3C trace context, carried to the verifier in the request's headers. */
  verify(call: VerifyCall, trace?: Record<string, string>): Promise<VerifyResponse>;
}

export interface RemoteVerifierOptions {
  /** How long an engine verifier (`prm`, `judge`: a model call) may take. */
  engineTimeoutMs: number;
  /**
   * How long a pure verifier's call may take before it is tried once more (the queue group may give
   * it to another replica) and then judged here: a dead or hung verifier service costs this twice.
   */
  pureTimeoutMs: number;
  /** After a pure verifier's service failed to answer, calls are judged here without asking it for this long. @default 5000 */
  downForMs?: number;
}

/**
 * Calls the verifier service over NATS request/reply (queue group: one replica answers). A pure
 * verifier (`arith`, `rule`, `recorded`, `confidence`) whose service does not answer — nobody
 * subscribed (NATS says so at once), or no reply within `pureTimeoutMs`, twice — is judged in this
 * process with the same code, so pruning and votes are what the service would have made; the
 * response's `fallback` says why, and the result reports the verifier as degraded. An engine
 * verifier cannot run here: its failure leaves the trace unscored, as before. After such a failure the
 * service is not asked again for `downForMs` (every call would wait out the timeouts), then it is.
 */
export function remoteVerifier(nc: NatsConnection, names: WireNames, options: RemoteVerifierOptions): VerifierClient {
  const inline = inlineVerifier();
  /** Per pure verifier: until when its service counts as down, and why. */
  const down = new Map<string, { until: number; why: string }>();
  const ask = async (call: VerifyCall, timeout: number, trace: Record<string, string>) => {
    const h = natsTraceHeaders(trace);
    const reply = await nc.request(names.verifySubject(call.verifier), VerifyRequest.encode(call).finish(), {
      timeout,
      ...(h ? { headers: h } : {}),
    });
    return VerifyResponse.decode(reply.data);
  };
  return {
    supportsPartial: (verifier) => createVerifier(verifier).partial,
    async verify(call, trace = {}) {
      const engine = (engineVerifierNames as readonly string[]).includes(call.verifier);
      const timeout = engine ? options.engineTimeoutMs : options.pureTimeoutMs;
      const known = down.get(call.verifier);
      if (!engine && known && Date.now() < known.until) return { ...(await inline.verify(call)), fallback: known.why };
      let failure: unknown;
      for (let attempt = 1; attempt <= (engine ? 1 : 2); attempt++) {
        try {
          return await ask(call, timeout, trace);
        } catch (err) {
          failure = err;
          if (isNoResponders(err)) break; // nobody serves it: another try finds nobody either
        }
      }
      const why = requestFailure(call.verifier, failure, timeout);
      if (engine) return unscored(why);
      down.set(call.verifier, { until: Date.now() + (options.downForMs ?? 5_000), why });
      return { ...(await inline.verify(call)), fallback: why };
    },
  };
}

function errorChain(err: unknown): unknown[] {
  return [err, err instanceof Error ? err.cause : undefined];
}

function isNoResponders(err: unknown): boolean {
  return errorChain(err).some((e) => e instanceof errors.NoRespondersError || (e instanceof Error && e.name === "NoResponders"));
}

/** Why a verify request got no answer, in words the result's verifier_note can carry. */
function requestFailure(verifier: string, err: unknown, timeoutMs: number): string {
  const chain = errorChain(err);
  // By class, and by name in case another copy of nats-core made the error.
  const is = (cls: new (...args: never[]) => Error, name: string) =>
    chain.some((e) => e instanceof cls || (e instanceof Error && e.name === name));
  if (isNoResponders(err)) {
    return `no verifier service serves "${verifier}" (none is running, or it serves no "${verifier}": an engine verifier needs its engine configured on the verifier service)`;
  }
  if (is(errors.TimeoutError, "TimeoutError")) return `verifier "${verifier}" did not answer within ${timeoutMs} ms`;
  return err instanceof Error ? err.message : String(err);
}

/** Scores traces in this process with the same pure verifier code the service runs. */
export function inlineVerifier(): VerifierClient {
  return {
    supportsPartial: (verifier) => createVerifier(verifier).partial,
    async verify(call) {
      try {
        return verifyResponse(createVerifier(call.verifier).verify(verifyInput(call)));
      } catch (err) {
        // e.g. an engine verifier (prm, judge), which only the verifier service can run, or a resume
        // state that does not fit the trace: the trace is left unscored (the next call sends it whole)
        // and the result says the verifier was degraded, with this message.
        return unscored(err instanceof Error ? err.message : String(err));
      }
    },
  };
}
