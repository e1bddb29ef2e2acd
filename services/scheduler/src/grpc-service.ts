import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from "@grpc/grpc-js";
import {
  encodeRetryStatus,
  statusDetailsKey,
  type GetQueryRequest,
  type QueryRecord,
  type QueryRecordEntry,
  type SchedulerServer,
  type SolveEvent,
  type SolveRequest,
  type SolveResult,
} from "@ttc/proto";
import { contextFromCarrier, type Logger } from "@ttc/common";
import type { Scheduler } from "./scheduler.js";
import { invalidArgument, ServiceError, toServiceError } from "./errors.js";
import { anonymousCaller, type Caller, type CallerAuthenticator } from "./grpc-security.js";
import { undecodableReason } from "./request-decoding.js";
import { EventStream, maxHeldEvents } from "./event-stream.js";
import { noRecord, type QueryRecords } from "./query-records.js";
import { isLastEntry } from "./query-history.js";

/** What GetQuery and WatchQuery read. */
export interface QueryRecordAccess {
  /** Undefined when TTC_QUERY_RECORDS=off. */
  records: QueryRecords | undefined;
  /** Whether the scheduler that ran a query is gone (its record will not grow). */
  schedulerGone(schedulerId: string): boolean;
}

/** How often a watch with nothing new checks whether the query's scheduler is still alive. */
const watchIdleCheckMs = 2_000;

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

/**
 * Streams a query's record: what is written, then each new entry, ending after the result, or once
 * its scheduler is gone and nothing more can come (a partial record).
 */
async function watch(
  records: QueryRecords,
  queryId: string,
  tenant: string,
  call: ServerWritableStream<GetQueryRequest, QueryRecordEntry>,
  abort: AbortController,
  schedulerGone: (schedulerId: string) => boolean,
): Promise<void> {
  // A query that just started (its id came in its first event) may not have its first page written yet.
  for (let tries = 0; (await records.pages(queryId)) === 0; tries++) {
    if (tries === 5) throw noRecord(queryId);
    await new Promise((r) => setTimeout(r, 200));
  }
  const deadline = deadlineOf(call);
  const signal = Number.isFinite(deadline) ? AbortSignal.any([abort.signal, AbortSignal.timeout(deadline - Date.now())]) : abort.signal;
  const entries = records.follow(queryId, signal)[Symbol.asyncIterator]();
  const idle = Symbol("idle");
  let owner: string | undefined;
  let next = entries.next();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const got = await Promise.race([next, new Promise<typeof idle>((r) => (timer = setTimeout(() => r(idle), watchIdleCheckMs)))]);
      clearTimeout(timer);
      if (got === idle) {
        if (owner !== undefined && schedulerGone(owner)) break;
        continue;
      }
      if (got.done) break;
      next = entries.next();
      const entry = got.value;
      if (owner === undefined) {
        if (entry.entry?.$case !== "started" || entry.entry.value.tenant !== tenant) throw noRecord(queryId);
        owner = entry.entry.value.schedulerId;
      }
      // A reader that stops reading holds the watch here, not the entries in memory; a cancel frees it.
      if (!call.write(entry))
        await new Promise<void>((resolve) => {
          call.once("drain", resolve);
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
      if (signal.aborted) break;
      if (isLastEntry(entry)) break;
    }
    if (!abort.signal.aborted) call.end();
  } finally {
    abort.abort();
    await entries.return(undefined);
  }
}

/** The caller's W3C trace context, from the call's `traceparent`/`tracestate` metadata. */
function callerTrace(metadata: Metadata) {
  return contextFromCarrier((key) => {
    const value = metadata.get(key)[0];
    return typeof value === "string" ? value : undefined;
  });
}

function invalid(details: string) {
  return { code: status.INVALID_ARGUMENT, details, metadata: new Metadata() };
}

/**
 * The `ttc.v1.Scheduler` gRPC handlers: authenticate the caller (when `auth` is set), then translate
 * calls to Scheduler.solve and errors to statuses.
 */
export function schedulerService(
  scheduler: Scheduler,
  log: Logger,
  auth: CallerAuthenticator | undefined,
  queries: QueryRecordAccess,
): SchedulerServer {
  const callerOf = (metadata: Metadata): Caller | ServiceError => {
    try {
      return auth ? auth.authenticate(metadata.get("authorization")[0]) : anonymousCaller;
    } catch (err) {
      return err as ServiceError;
    }
  };
  /** The checked query id and the record store, or the error to answer with. */
  const recordOf = (
    request: GetQueryRequest,
    metadata: Metadata,
  ): { records: QueryRecords; queryId: string; tenant: string } | ServiceError => {
    const caller = callerOf(metadata);
    if (caller instanceof Error) return caller;
    if (!queries.records)
      return new ServiceError(status.FAILED_PRECONDITION, "this scheduler does not record queries (TTC_QUERY_RECORDS=off)");
    const queryId = request.queryId ?? "";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(queryId))
      return invalidArgument("query_id", "must be the query_id of a result (letters, digits, _ and -, at most 64)");
    return { records: queries.records, queryId, tenant: caller.tenant };
  };
  const tenantOf = (entries: QueryRecordEntry[]) => (entries[0]?.entry?.$case === "started" ? entries[0].entry.value.tenant : undefined);
  return {
    getQuery(call: ServerUnaryCall<GetQueryRequest, QueryRecord>, callback: sendUnaryData<QueryRecord>) {
      const target = recordOf(call.request, call.metadata);
      if (target instanceof Error) return callback(grpcError(target));
      target.records.read(target.queryId).then(
        (entries) => {
          // Another tenant's record is not found, not forbidden: its existence is not told either.
          if (entries.length === 0 || tenantOf(entries) !== target.tenant) return callback(grpcError(noRecord(target.queryId)));
          callback(null, { queryId: target.queryId, entries, complete: entries.some(isLastEntry) });
        },
        (err: unknown) => callback(grpcError(toServiceError(err))),
      );
    },
    watchQuery(call: ServerWritableStream<GetQueryRequest, QueryRecordEntry>) {
      const target = recordOf(call.request, call.metadata);
      if (target instanceof Error) return void call.emit("error", grpcError(target));
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      void watch(target.records, target.queryId, target.tenant, call, abort, (id) => queries.schedulerGone(id)).catch((err: unknown) => {
        if (!abort.signal.aborted) call.emit("error", grpcError(toServiceError(err)));
      });
    },
    solve(call: ServerUnaryCall<SolveRequest, SolveResult>, callback: sendUnaryData<SolveResult>) {
      const undecodable = undecodableReason(call.request);
      if (undecodable) return callback(invalid(undecodable));
      const caller = callerOf(call.metadata);
      if (caller instanceof Error) return callback(grpcError(caller));
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      scheduler
        .solve(call.request, deadlineOf(call), abort.signal, () => {}, caller.tenant, callerTrace(call.metadata))
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
      scheduler.solve(call.request, deadlineOf(call), abort.signal, emit, caller.tenant, callerTrace(call.metadata)).then(
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
