import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from "@grpc/grpc-js";
import {
  encodeRetryStatus,
  statusDetailsKey,
  type SchedulerServer,
  type SolveEvent,
  type SolveRequest,
  type SolveResult,
} from "@ttc/proto";
import type { Logger } from "@ttc/common";
import type { Scheduler } from "./scheduler.js";
import type { ServiceError } from "./errors.js";
import type { Caller, CallerAuthenticator } from "./grpc-security.js";
import { undecodableReason } from "./request-decoding.js";
import { EventStream, maxHeldEvents } from "./event-stream.js";

function deadlineOf(call: { getDeadline(): Date | number }): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) && ms > 0 ? ms : Infinity;
}

function grpcError(err: ServiceError) {
  const code = err.code ?? status.INTERNAL;
  const metadata = new Metadata();
  const retryDelayMs = err.options?.retryDelayMs;
  if (retryDelayMs !== undefined) metadata.set(statusDetailsKey, Buffer.from(encodeRetryStatus(code, err.message, retryDelayMs)));
  return { code, details: err.message, metadata };
}

function invalid(details: string) {
  return { code: status.INVALID_ARGUMENT, details, metadata: new Metadata() };
}

/** Who calls when no tokens are configured. */
const anonymous: Caller = { tenant: "anonymous" };

/**
 * The `ttc.v1.Scheduler` gRPC handlers: authenticate the caller (when `auth` is set), then translate
 * calls to Scheduler.solve and errors to statuses.
 */
export function schedulerService(scheduler: Scheduler, log: Logger, auth?: CallerAuthenticator): SchedulerServer {
  const callerOf = (metadata: Metadata): Caller | ServiceError => {
    try {
      return auth ? auth.authenticate(metadata) : anonymous;
    } catch (err) {
      return err as ServiceError;
    }
  };
  return {
    solve(call: ServerUnaryCall<SolveRequest, SolveResult>, callback: sendUnaryData<SolveResult>) {
      const undecodable = undecodableReason(call.request);
      if (undecodable) return callback(invalid(undecodable));
      const caller = callerOf(call.metadata);
      if (caller instanceof Error) return callback(grpcError(caller));
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      scheduler
        .solve(call.request, deadlineOf(call), abort.signal, () => {}, caller.tenant)
        .then(
          (result) => callback(null, result),
          (err: ServiceError) => {
            if (!abort.signal.aborted) callback(grpcError(err));
          },
        );
    },
    solveStream(call: ServerWritableStream<SolveRequest, SolveEvent>) {
      const undecodable = undecodableReason(call.request);
      if (undecodable) return void call.emit("error", invalid(undecodable));
      const caller = callerOf(call.metadata);
      if (caller instanceof Error) return void call.emit("error", grpcError(caller));
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      // A client that stops reading must not make the scheduler buffer its events without bound.
      const events = new EventStream(call, () => {
        log.warn({ held: maxHeldEvents }, "stream client stopped reading: query stopped");
        abort.abort();
        call.emit("error", {
          code: status.RESOURCE_EXHAUSTED,
          details: `the stream was not read while ${maxHeldEvents} events waited for it; read the stream as it comes, or call Solve for the result alone`,
          metadata: new Metadata(),
        });
      });
      const emit = (event: SolveEvent) => {
        if (!abort.signal.aborted && call.writable) events.write(event);
      };
      scheduler.solve(call.request, deadlineOf(call), abort.signal, emit, caller.tenant).then(
        (result) => {
          if (abort.signal.aborted || !call.writable) return;
          events.end({ event: { $case: "result", value: result } });
          call.end();
        },
        (err: ServiceError) => {
          if (abort.signal.aborted) return;
          log.debug({ code: err.code, err: err.message }, "stream ended with error");
          call.emit("error", grpcError(err));
        },
      );
    },
  };
}
