import { errors, type NatsConnection } from "@nats-io/nats-core";
import { VerifyRequest, VerifyResponse } from "@ttc/proto";
import { unscored, verifyInput, verifyResponse, type WireNames } from "@ttc/common";
import { createVerifier } from "@ttc/policy";

export type VerifyCall = VerifyRequest;

/** Scores traces; an `error` in the response means the trace is unscored, not that the query failed. */
export interface VerifierClient {
  /** True when the verifier can judge partial traces (worth calling on progress). */
  supportsPartial(verifier: string): boolean;
  verify(call: VerifyCall): Promise<VerifyResponse>;
}

/** Calls the verifier service over NATS request/reply (queue group: one replica answers). */
export function remoteVerifier(nc: NatsConnection, names: WireNames, timeoutMs: number): VerifierClient {
  return {
    supportsPartial: (verifier) => createVerifier(verifier).partial,
    async verify(call) {
      try {
        const reply = await nc.request(names.verifySubject(call.verifier), VerifyRequest.encode(call).finish(), { timeout: timeoutMs });
        return VerifyResponse.decode(reply.data);
      } catch (err) {
        return unscored(requestFailure(call.verifier, err, timeoutMs));
      }
    },
  };
}

/** Why a verify request got no answer, in words the result's verifier_note can carry. */
function requestFailure(verifier: string, err: unknown, timeoutMs: number): string {
  const chain = [err, err instanceof Error ? err.cause : undefined];
  // By class, and by name in case another copy of nats-core made the error.
  const is = (cls: new (...args: never[]) => Error, name: string) =>
    chain.some((e) => e instanceof cls || (e instanceof Error && e.name === name));
  if (is(errors.NoRespondersError, "NoResponders")) {
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
