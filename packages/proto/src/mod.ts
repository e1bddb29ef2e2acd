/**
 * Generated protobuf contracts of ttc (`proto/ttc/v1`): the public gRPC API and every NATS payload.
 * Regenerate with `npm run generate`; never edit `src/gen` by hand.
 */
import { fileURLToPath } from "node:url";

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
} from "./labels.js";
export type { AnswerFormatLabel, ExecutionModeLabel } from "./labels.js";

/** Path of the compiled FileDescriptorSet of `proto/`, served by gRPC server reflection. */
export const descriptorSetPath: string = fileURLToPath(new URL("./gen/ttc.binpb", import.meta.url));
