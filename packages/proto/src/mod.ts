/**
 * Generated protobuf contracts of ttc (`proto/ttc/v1`): the public gRPC API and every NATS payload,
 * with the names of their enums and the scheduler's default port. Regenerate with `npm run generate`;
 * never edit `src/gen` by hand.
 */
import { fileURLToPath } from "node:url";

// The generated code is the contract: every message, enum and service it defines is public, so it is
// re-exported whole rather than name by name (a name list would have to follow every `.proto` change).
export * from "./gen/ttc/v1/common.js";
export * from "./gen/ttc/v1/scheduler.js";
export * from "./gen/ttc/v1/cluster.js";
export {
  answerFormatNames,
  answerFormatLabel,
  answerFormatFromLabel,
  executionModeFromLabel,
  executionModeLabel,
  stopReasonFromName,
  stopReasonLabel,
  isEngineFailureCode,
} from "./labels.js";
export type { AnswerFormatLabel, EngineFailureCode } from "./labels.js";
export { defaultSchedulerPort } from "./port.js";
export { decodeRetryDelayMs, encodeRetryStatus, statusDetailsKey } from "./retry-info.js";

/** Path of the compiled FileDescriptorSet of `proto/`, served by gRPC server reflection. */
export const descriptorSetPath: string = fileURLToPath(new URL("./gen/ttc.binpb", import.meta.url));
