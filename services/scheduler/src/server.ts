import { readFileSync } from "node:fs";
import { Server } from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer, loadSync, type MessageTypeDefinition, type PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, protoPath as healthProtoPath } from "grpc-health-check";
import { descriptorSetPath, SchedulerService } from "@ttc/proto";
import type { Logger } from "@ttc/common";
import { schedulerService, type QueryRecordAccess } from "./grpc-service.js";
import { CallerAuthenticator, serverCredentials, type TlsFiles } from "./grpc-security.js";
import { JwtVerifier, type JwtSettings } from "./jwt.js";
import { tolerantDecoder, type FieldDescription } from "./request-decoding.js";
import type { Scheduler } from "./scheduler.js";

/** Name the health service reports the scheduler under (besides the server-wide ""). */
export const healthServiceName = "ttc.v1.Scheduler";

export interface GrpcServer {
  readonly port: number;
  setServing(serving: boolean): void;
  /** Graceful shutdown: waits for open calls, then forces after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

/** The Scheduler service with request decoders that never throw (see `request-decoding.ts`). */
function tolerantService(definitions: PackageDefinition): typeof SchedulerService {
  const type = (definitions["ttc.v1.SolveRequest"] as MessageTypeDefinition<object, object>).type as { field: FieldDescription[] };
  const fields = type.field;
  return {
    ...SchedulerService,
    solve: { ...SchedulerService.solve, requestDeserialize: tolerantDecoder(SchedulerService.solve.requestDeserialize, fields) },
    solveStream: {
      ...SchedulerService.solveStream,
      requestDeserialize: tolerantDecoder(SchedulerService.solveStream.requestDeserialize, fields),
    },
  } as typeof SchedulerService;
}

export interface GrpcSecurity {
  tls: TlsFiles | undefined;
  /** With it every Scheduler call must carry a known bearer token. Health stays open (probes carry no token). */
  auth: CallerAuthenticator | undefined;
  /** Serve server reflection to anyone (`public`, the default: grpcurl works without a proto file) or not at all (`off`). */
  reflection?: "public" | "off";
  /** What GetQuery and WatchQuery read (none: they answer FAILED_PRECONDITION). */
  queries?: QueryRecordAccess;
}

/** Bearer tokens from a file, JWTs, or both; undefined when neither is configured (every caller is `anonymous`). */
export function callerAuthenticator(tokensFile: string | undefined, jwt: JwtSettings | undefined): CallerAuthenticator | undefined {
  return tokensFile || jwt ? new CallerAuthenticator(tokensFile, jwt ? new JwtVerifier(jwt) : undefined) : undefined;
}

/** Binds the Scheduler, the standard health service and server reflection on host:port (0 = any free port). */
export async function startGrpcServer(
  scheduler: Scheduler,
  log: Logger,
  host: string,
  port: number,
  security: GrpcSecurity = { tls: undefined, auth: undefined },
): Promise<GrpcServer> {
  const credentials = serverCredentials(security.tls);
  // No channelz service is served: its per-call bookkeeping would be work for no reader.
  const server = new Server({ "grpc.max_receive_message_length": 16 * 1024 * 1024, "grpc.enable_channelz": 0 });
  const ttcDefinitions = loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath));
  server.addService(
    tolerantService(ttcDefinitions),
    schedulerService(scheduler, log, security.auth, security.queries ?? { records: undefined, schedulerGone: () => true }),
  );
  const health = new HealthImplementation({ "": "SERVING", [healthServiceName]: "SERVING" });
  health.addToServer(server);
  if (security.reflection !== "off") new ReflectionService({ ...ttcDefinitions, ...loadSync(healthProtoPath) }).addToServer(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port: bound,
    setServing(serving) {
      const s = serving ? "SERVING" : "NOT_SERVING";
      health.setStatus("", s);
      health.setStatus(healthServiceName, s);
    },
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
