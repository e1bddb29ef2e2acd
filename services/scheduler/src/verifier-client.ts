import type { NatsConnection } from "@nats-io/nats-core";
import { VerifyRequest, VerifyResponse } from "@ttc/proto";
import { verifyInput, type WireNames } from "@ttc/common";
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
        return { score: -1, stepScores: [], reject: false, reason: "", verified: false, error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}

/** Scores traces in this process with the same pure verifier code the service runs. */
export function inlineVerifier(): VerifierClient {
  return {
    supportsPartial: (verifier) => createVerifier(verifier).partial,
    async verify(call) {
      const out = createVerifier(call.verifier).verify(verifyInput(call));
      return { ...out, error: "" };
    },
  };
}

