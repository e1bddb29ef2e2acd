/**
 * The OpenAI-compatible HTTP API: `POST /v1/chat/completions`, `POST /v1/completions` (both with
 * `stream: true` as server-sent events) and `GET /v1/models`, over the same Scheduler.solve as gRPC,
 * with gRPC's TLS files, bearer tokens and tenants. A thin adapter: reading requests and writing
 * responses are `request.ts` and `response.ts`.
 */
import { readFileSync, statSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { policyNames } from "@ttc/policy";
import type { SolveEvent } from "@ttc/proto";
import { contextFromCarrier, type Context, type Logger } from "@ttc/common";
import { toServiceError } from "../errors.js";
import { anonymousCaller, type Caller, type CallerAuthenticator, type TlsFiles } from "../grpc-security.js";
import type { Scheduler } from "../scheduler.js";
import { fromServiceError, OpenAiError } from "./errors.js";
import { parseOpenAiRequest, readModel, type Endpoint, type OpenAiCall } from "./request.js";
import { ChunkWriter, completionResponse } from "./response.js";

export interface HttpApiOptions {
  host: string;
  port: number;
  tls: TlsFiles | undefined;
  auth: CallerAuthenticator | undefined;
  /** Largest request body accepted (bytes); a larger one is refused with 413. */
  maxBodyBytes: number;
  /** Counts each request by endpoint and HTTP status. */
  counted: (endpoint: string, status: number) => void;
}

export interface HttpApi {
  readonly port: number;
  /** `http://host:port/v1` (https with TLS): what an OpenAI client takes as its base URL. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** Each path's method and endpoint (`/v1/models/{id}` too is `models`). */
const routes: Record<string, [string, Endpoint | "models"]> = {
  "/v1/chat/completions": ["POST", "chat"],
  "/v1/completions": ["POST", "completions"],
  "/v1/models": ["GET", "models"],
};

function endpointOf(method: string | undefined, path: string): Endpoint | "models" | OpenAiError {
  const route = routes[path] ?? (path.startsWith("/v1/models/") ? ["GET", "models"] : undefined);
  if (!route)
    return new OpenAiError(404, "invalid_request_error", `no endpoint ${path}: try POST /v1/chat/completions`, null, "unknown_url");
  if (method !== route[0])
    return new OpenAiError(405, "invalid_request_error", `${path} takes ${route[0]}, not ${method}`, null, "method_not_allowed");
  return route[1];
}

/** How often changed certificate files are noticed (as for gRPC). */
const tlsRefreshMs = 1_000;

export async function startHttpApi(scheduler: Scheduler, log: Logger, options: HttpApiOptions): Promise<HttpApi> {
  const startedS = Math.floor(Date.now() / 1000);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch((err: unknown) => {
      log.error({ err }, "HTTP API request failed");
      if (!res.headersSent) sendError(res, new OpenAiError(500, "server_error", "internal error"));
      else res.end();
    });
  };
  const { server, stopWatching } = listenerFor(options.tls, handler);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!;
    const endpoint = endpointOf(req.method, path);
    res.once("finish", () => options.counted(endpoint instanceof OpenAiError ? "other" : endpoint, res.statusCode));
    if (endpoint instanceof OpenAiError) return sendError(res, endpoint);
    let caller: Caller;
    try {
      caller = options.auth ? options.auth.authenticate(req.headers.authorization) : anonymousCaller;
    } catch (err) {
      return sendError(res, fromServiceError(toServiceError(err)));
    }
    if (endpoint === "models") return sendModels(res, path, startedS);
    let call: OpenAiCall;
    try {
      call = parseOpenAiRequest(endpoint, JSON.parse((await readBody(req, options.maxBodyBytes)).toString("utf8")));
    } catch (err) {
      if (err instanceof OpenAiError) return sendError(res, err);
      if (err instanceof SyntaxError) return sendError(res, OpenAiError.invalid(null, `the body is not valid JSON: ${err.message}`));
      throw err;
    }
    const trace = contextFromCarrier((key) => {
      const value = req.headers[key];
      return typeof value === "string" ? value : undefined;
    });
    await answer(call, caller, res, trace);
  }

  async function answer(call: OpenAiCall, caller: Caller, res: ServerResponse, trace: Context): Promise<void> {
    const abort = new AbortController();
    // The caller left (or its connection broke) before the answer: the query stops, as a gRPC cancel does.
    res.once("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const createdS = Math.floor(Date.now() / 1000);
    const deadline = call.timeoutMs === undefined ? Infinity : Date.now() + call.timeoutMs;
    let chunks: ChunkWriter | undefined;
    const sse = (chunk: object) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    // Headers wait for the query's first event, `accepted`, so a request refused at once gets its HTTP
    // status; the stream's id is the query's, as without streaming.
    const open = (queryId: string) => {
      chunks = new ChunkWriter(call, queryId, createdS);
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      sse(chunks.opening());
      return chunks;
    };
    const emit = (event: SolveEvent) => {
      const e = event.event;
      if (!call.stream || abort.signal.aborted || !e) return;
      if (e.$case === "accepted") open(e.value.queryId);
      // Consensus updates are snapshots, each superseding the last: one is skipped while the client
      // is behind, so a client that stops reading costs a bounded buffer.
      else if (e.$case === "consensus" && chunks && !res.writableNeedDrain) sse(chunks.consensus(e.value));
    };
    try {
      const result = await scheduler.solve(call.solve, deadline, abort.signal, emit, caller.tenant, trace);
      if (abort.signal.aborted) return;
      if (!call.stream) return sendJson(res, 200, completionResponse(call, result, createdS));
      // A stored result (a retried request_id) comes with no event before it.
      for (const chunk of (chunks ?? open(result.queryId)).closing(result)) sse(chunk);
      res.end("data: [DONE]\n\n");
    } catch (err) {
      if (abort.signal.aborted) return;
      const error = fromServiceError(toServiceError(err));
      if (!res.headersSent) return sendError(res, error);
      // Past the headers an error is an event: OpenAI clients raise it from the stream.
      sse(error.body());
      res.end();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: options.host, port, tls: options.tls !== undefined }, "OpenAI-compatible HTTP API listening");
  return {
    port,
    baseUrl: `${options.tls ? "https" : "http"}://${options.host}:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        stopWatching();
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** Plain HTTP, or HTTPS with the gRPC certificate files, re-read when they change (mutual TLS with a client CA). */
function listenerFor(
  tls: TlsFiles | undefined,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): { server: Server | HttpsServer; stopWatching: () => void } {
  if (!tls) return { server: createHttpServer(handler), stopWatching: () => {} };
  const files = [tls.certFile, tls.keyFile, tls.clientCaFile].filter((f): f is string => f !== undefined);
  const context = () => ({
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ...(tls.clientCaFile ? { ca: readFileSync(tls.clientCaFile), requestCert: true, rejectUnauthorized: true } : {}),
  });
  const server = createHttpsServer(context(), handler);
  const stamp = () => files.map((f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? -1).join();
  let seen = stamp();
  const timer = setInterval(() => {
    const now = stamp();
    if (now === seen) return;
    try {
      server.setSecureContext(context());
      seen = now;
    } catch {
      // A file being replaced may be half-written for a moment: keep serving the last good one.
    }
  }, tlsRefreshMs);
  timer.unref();
  return { server, stopWatching: () => clearInterval(timer) };
}

/** `ttc` (the scheduler's defaults) and `ttc/POLICY` for each policy; any engine model name can follow a strategy. */
function sendModels(res: ServerResponse, path: string, createdS: number): void {
  const ids = ["ttc", ...policyNames.map((p) => `ttc/${p}`)];
  const model = (id: string) => ({ id, object: "model", created: createdS, owned_by: "ttc" });
  if (path === "/v1/models") return sendJson(res, 200, { object: "list", data: ids.map(model) });
  // Any name is usable (an engine model under the default strategy): only a ttc/ name ttc cannot read is unknown.
  const requested = path.slice("/v1/models/".length);
  const id = knownModel(requested);
  if (id === undefined)
    return sendError(
      res,
      new OpenAiError(
        404,
        "invalid_request_error",
        `the model ${requested} does not exist; see GET /v1/models`,
        "model",
        "model_not_found",
      ),
    );
  sendJson(res, 200, model(id));
}

/** The model name a `/v1/models/{id}` path asks for, when ttc can use it. */
function knownModel(requested: string): string | undefined {
  try {
    const id = decodeURIComponent(requested);
    const { policy } = readModel(id);
    return policy === "" || (policyNames as readonly string[]).includes(policy) ? id : undefined;
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const collect = (part: Buffer) => {
      size += part.length;
      if (size <= limit) return void parts.push(part);
      // The rest is read and dropped, so the 413 reaches a client still sending.
      req.off("data", collect);
      req.resume();
      reject(new OpenAiError(413, "invalid_request_error", `the body is over ${limit} bytes`, null, "request_too_large"));
    };
    req.on("data", collect);
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, err: OpenAiError): void {
  const headers: Record<string, string> = err.retryAfterSeconds === undefined ? {} : { "retry-after": String(err.retryAfterSeconds) };
  sendJson(res, err.httpStatus, err.body(), headers);
}
