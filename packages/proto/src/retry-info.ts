/**
 * The standard gRPC way to say when to retry: a `google.rpc.Status` carrying a `google.rpc.RetryInfo`
 * in the `grpc-status-details-bin` trailer, which Google's client libraries and grpcurl understand.
 * Four small messages, written and read by hand rather than vendoring googleapis into `proto/`.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

/** The trailer that carries a serialized `google.rpc.Status`. */
export const statusDetailsKey = "grpc-status-details-bin";
const retryInfoType = "type.googleapis.com/google.rpc.RetryInfo";

/** `google.rpc.Status{code, message, details: [Any(RetryInfo{retry_delay})]}`. */
export function encodeRetryStatus(code: number, message: string, retryDelayMs: number): Uint8Array {
  const ms = Math.max(0, Math.ceil(retryDelayMs));
  const duration = new BinaryWriter()
    .uint32(8)
    .int64(Math.floor(ms / 1000))
    .uint32(16)
    .int32((ms % 1000) * 1e6)
    .finish();
  const retryInfo = new BinaryWriter().uint32(10).bytes(duration).finish();
  const any = new BinaryWriter().uint32(10).string(retryInfoType).uint32(18).bytes(retryInfo).finish();
  return new BinaryWriter().uint32(8).int32(code).uint32(18).string(message).uint32(26).bytes(any).finish();
}

/** The retry delay (ms) a serialized `google.rpc.Status` carries; undefined when it has none or cannot be read. */
export function decodeRetryDelayMs(status: Uint8Array): number | undefined {
  try {
    for (const any of fields(status, 3)) {
      const [typeUrl] = fields(any, 1);
      if (!typeUrl || new TextDecoder().decode(typeUrl) !== retryInfoType) continue;
      const [value] = fields(any, 2);
      const [duration] = value ? fields(value, 1) : [];
      if (!duration) return 0;
      const r = new BinaryReader(duration);
      let seconds = 0;
      let nanos = 0;
      while (r.pos < r.len) {
        const [field, wire] = r.tag();
        if (field === 1 && wire === 0) seconds = Number(r.int64());
        else if (field === 2 && wire === 0) nanos = r.int32();
        else r.skip(wire);
      }
      return seconds * 1000 + Math.round(nanos / 1e6);
    }
  } catch {
    // Not a Status: no delay to tell.
  }
  return undefined;
}

/** Every length-delimited value of `field` in a message. */
function fields(message: Uint8Array, field: number): Uint8Array[] {
  const r = new BinaryReader(message);
  const out: Uint8Array[] = [];
  while (r.pos < r.len) {
    const [f, wire] = r.tag();
    if (f === field && wire === 2) out.push(r.bytes());
    else r.skip(wire);
  }
  return out;
}
