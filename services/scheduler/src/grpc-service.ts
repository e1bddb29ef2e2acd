import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from "@grpc/grpc-js";
import type { SchedulerServer, SolveEvent, SolveRequest, SolveResult } from "@ttc/proto";
import type { Logger } from "@ttc/common";
import type { Scheduler } from "./scheduler.js";
import type { ServiceError } from "./errors.js";
import { undecodableReason } from "./request-decoding.js";

function deadlineOf(call: { getDeadline(): Date | number }): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) && ms > 0 ? ms : Infinity;
}

function grpcError(err: ServiceError) {
  return { code: err.code ?? status.INTERNAL, details: err.message, metadata: new Metadata() };
}

function invalid(details: string) {
  return { code: status.INVALID_ARGUMENT, details, metadata: new Metadata() };
}

/** The `ttc.v1.Scheduler` gRPC handlers: translate calls to Scheduler.solve and errors to statuses. */
export function schedulerService(scheduler: Scheduler, log: Logger): SchedulerServer {
  return {
    solve(call: ServerUnaryCall<SolveRequest, SolveResult>, callback: sendUnaryData<SolveResult>) {
      const undecodable = undecodableReason(call.request);
      if (undecodable) return callback(invalid(undecodable));
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      scheduler
        .solve(call.request, deadlineOf(call), abort.signal, () => {})
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
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      const emit = (event: SolveEvent) => {
        if (!abort.signal.aborted && call.writable) call.write(event);
      };
      scheduler.solve(call.request, deadlineOf(call), abort.signal, emit).then(
        (result) => {
          emit({ event: { $case: "result", value: result } });
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
